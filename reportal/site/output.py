"""Safe, deterministic writes of a whole site: refuse escapes and collisions, skip unchanged
files, remove stale ones."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reportal.site.processes import available, beside

__all__ = ["OutputError", "WriteStats", "add_file", "snapshot", "write_output"]


class OutputError(Exception):
    """A page would be written outside the output root, or two pages to one path."""


@dataclass
class WriteStats:
    """Counts of files `written`, left `unchanged` and `removed` as stale."""

    written: int = 0
    unchanged: int = 0
    removed: int = 0


def add_file(files: dict[str, bytes], path: str, data: bytes) -> None:
    """Add `path` (POSIX, relative) to `files`; raise `OutputError` on escape or collision."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise OutputError(f"{path}: escapes the output directory")
    if path in files:
        raise OutputError(f"{path}: two pages are written to this path")
    files[path] = data


def _walk(out: Path) -> tuple[dict[str, os.stat_result], dict[str, str]]:
    """One walk of `out`: files (relative POSIX path → `lstat` result) and every directory
    (relative POSIX path ending in "/", "" for `out` itself → its path as a string)."""
    files: dict[str, os.stat_result] = {}
    dirs: dict[str, str] = {}
    pending = [(str(out), "")]
    while pending:
        directory, prefix = pending.pop()
        dirs[prefix] = directory
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    files[prefix + entry.name] = entry.stat(follow_symlinks=False)
    return files, dirs


def snapshot(out: Path) -> dict[str, list[int]]:
    """What `out` holds now, cheaply (one `lstat` per file, nothing read): relative POSIX path →
    [size in bytes, modification time in ns] for files, [] for directories (with a trailing
    "/"). Two equal snapshots mean, short of a same-size write within the same nanosecond,
    the same bytes. Empty if `out` does not exist."""
    if not out.is_dir():
        return {}
    files, dirs = _walk(out)
    shot: dict[str, list[int]] = {rel: [st.st_size, st.st_mtime_ns] for rel, st in files.items()}
    shot.update({rel: [] for rel in dirs if rel})
    return shot


# Files below which one process writes them all (forking costs more than it saves).
PARALLEL_MIN_FILES = 200


def _write(root: str, names: list[str], files: dict[str, bytes], existing: dict[str, int]) -> tuple[int, int]:
    """Write each of `names` that differs from what `root` holds (temporary name, then an atomic
    rename); their directories exist. Returns (written, unchanged)."""
    written = unchanged = 0
    for rel in names:
        target = os.path.join(root, rel)
        data = files[rel]
        if existing.get(rel) == len(data):
            with open(target, "rb") as fh:
                if fh.read() == data:
                    unchanged += 1
                    continue
        tmp = target + ".tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        written += 1
    return written, unchanged


def write_output(out: Path, files: dict[str, bytes], prune: bool = True, processes: int | None = None) -> WriteStats:
    """Make `out` hold exactly `files`: write changed files (to a temporary name, then an atomic
    rename), leave identical ones untouched, drop stale ones and empty directories.

    The tree is walked once; a file is read back only if one of the same size exists, so a
    fresh output directory costs one write per file (paths handled as strings: no `Path`
    object per file). The directories are made first; then, with `processes` 2 (default: 2 on
    a machine with two CPUs or more and at least `PARALLEL_MIN_FILES` files), a forked child
    writes half of the files while this process writes the other half."""
    stats = WriteStats()
    out.mkdir(parents=True, exist_ok=True)
    stats_of, dirs = _walk(out)
    existing = {rel: st.st_size for rel, st in stats_of.items()}
    root = str(out)
    names = sorted(files)
    for parent in sorted({rel.rpartition("/")[0] for rel in names} - {""}):
        if parent + "/" not in dirs:
            os.makedirs(os.path.join(root, parent), exist_ok=True)
    if processes is None:
        processes = available() if len(names) >= PARALLEL_MIN_FILES else 1
    if processes < 2 or not hasattr(os, "fork"):
        stats.written, stats.unchanged = _write(root, names, files, existing)
    else:
        half = len(names) // 2
        (written, unchanged), (child_written, child_unchanged) = beside(
            lambda: _write(root, names[half:], files, existing), lambda: _write(root, names[:half], files, existing))
        stats.written, stats.unchanged = written + child_written, unchanged + child_unchanged
    if prune:
        for rel in sorted(set(existing) - set(files)):
            os.unlink(os.path.join(root, rel))
            stats.removed += 1
        for rel in sorted(dirs, key=lambda d: d.count("/"), reverse=True):
            if rel and not os.listdir(dirs[rel]):
                os.rmdir(dirs[rel])
    return stats
