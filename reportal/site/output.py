"""Safe, deterministic writes of a whole site: refuse escapes and collisions, skip unchanged
files, remove stale ones."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = ["OutputError", "WriteStats", "add_file", "write_output"]


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


def write_output(out: Path, files: dict[str, bytes], prune: bool = True) -> WriteStats:
    """Make `out` hold exactly `files`: write changed files, leave identical ones, drop stale."""
    stats = WriteStats()
    out.mkdir(parents=True, exist_ok=True)
    for rel in sorted(files):
        target = out / rel
        data = files[rel]
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                stats.unchanged += 1
                continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
        stats.written += 1
    if prune:
        for path in sorted(out.rglob("*"), reverse=True):
            rel = path.relative_to(out).as_posix()
            if path.is_file() and rel not in files:
                path.unlink()
                stats.removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return stats
