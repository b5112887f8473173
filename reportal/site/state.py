"""The record a build leaves beside its output, so that a rebuild with nothing changed is
skipped (docs/performance.md, "Incremental builds").

A build that would write exactly what the last one wrote is skipped: its inputs (every file
under sites/, templates/ and translations/, the source of every module the build can run, the
Python, CLDR and library versions, and the arguments) hash to the fingerprint recorded beside
`out`, and both output trees still hold what that build left (same files, sizes and
modification times). Anything else is a full build, so the output is always the one a full
build would write.

This module imports nothing heavy (no pydantic, Jinja2, Babel or YAML): `reportal build`
asks it first and, when the record holds, answers without importing the build at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportal.site.output import snapshot

__all__ = ["PACKAGE", "RENDER_LIBRARIES", "Paths", "Recorded", "fingerprint", "forget", "library_versions", "record",
           "recorded", "render_code", "state_path"]

STATE_VERSION = 2
# The package whose modules the build runs; a test points it at a copy.
PACKAGE = Path(__file__).resolve().parents[1]
# Distributions whose version is part of the fingerprint: every library `render_code` imports
# (tests/site/test_incremental.py holds this list equal to those imports).
RENDER_LIBRARIES = ("babel", "defusedxml", "idna", "jinja2", "markupsafe", "pydantic", "pydantic-core", "pyrage",
                    "pyyaml")
# `from reportal.x import a, b` (parenthesised over lines too) and `import reportal.x`, anywhere
# in a module (imports inside functions count: they run during a build as well).
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(reportal[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n]*)"
                     r"|import[ \t]+(reportal[\w.]*))", re.MULTILINE)


@dataclass(frozen=True)
class Paths:
    """Where a build reads its inputs: portal configs, templates and gettext catalogs."""

    sites: Path = Path("sites")
    templates: Path = Path("templates")
    translations: Path = Path("translations")

    @classmethod
    def under(cls, root: Path, sites: Path | None = None) -> "Paths":
        """The standard layout below repository `root`, optionally with another `sites/`."""
        return cls(sites or root / "sites", root / "templates", root / "translations")


@dataclass(frozen=True)
class Recorded:
    """The last build as recorded: `portals` (each `Portal.model_dump(mode="json")`), `pages`,
    `warnings` (each a `ConfigProblem` as a dict) and `warning_lines` (as printed), and the
    number of files in each output."""

    portals: list[dict[str, Any]]
    pages: int
    warnings: list[dict[str, Any]]
    warning_lines: list[str]
    site_files: int
    function_files: int


def state_path(out: Path) -> Path:
    """`.<out name>.reportal-state.json` beside `out` (ignored by git, never uploaded)."""
    return out.with_name(f".{out.name}.reportal-state.json")


def _files(root: Path) -> list[tuple[str, str]]:
    """Every file below `root` (no `__pycache__`): (relative POSIX path, path), sorted."""
    found: list[tuple[str, str]] = []
    pending = [(str(root), "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except FileNotFoundError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name != "__pycache__":
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.is_file():
                found.append((prefix + entry.name, entry.path))
    return sorted(found)


def render_code(package: Path = PACKAGE) -> list[Path]:
    """The modules of `package` (the `reportal` package folder) a build can run: `site/build.py`
    and every `reportal.*` module it imports, at module level or inside a function,
    transitively, found by reading their import statements. Sorted. So an edit to any module
    that shapes output (the page environment, the fields, the config schema, …) changes the
    fingerprint, while the workbench or the inbox do not. Read as text (a regular expression,
    not `ast`), so an unchanged rebuild stays fast."""

    files: dict[str, Path | None] = {}

    def module_file(name: str) -> Path | None:
        if name not in files:
            base = os.path.join(str(package), *name.split(".")[1:])
            files[name] = next((Path(candidate) for candidate in (base + ".py", os.path.join(base, "__init__.py"))
                                if "." in name or candidate.endswith("__init__.py")
                                if os.path.isfile(candidate)), None)
        return files[name]

    seen: set[Path] = set()
    todo = [package / "site" / "build.py", package / "__init__.py"]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        names: list[str] = []
        for module, imported, plain in _IMPORT.findall(path.read_text(encoding="utf-8")):
            if plain:
                names.append(plain)
            elif module:
                listed = imported.strip("()").replace("\n", ",").split(",")
                names += [module] + [f"{module}.{item.split()[0]}" for item in listed if item.split()
                                     and item.split()[0].isidentifier()]
        for name in names:
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):  # a package's __init__ runs on import too
                found = module_file(".".join(parts[:depth]))
                if found is not None:
                    todo.append(found)
    return sorted(seen)


def library_versions() -> list[tuple[str, str]]:
    """(distribution, version) of every library the build renders with (`RENDER_LIBRARIES`), the
    CLDR data Babel ships and the Python version: a different Jinja, MarkupSafe, Babel/CLDR,
    PyYAML or pydantic may give different bytes from the same inputs. Read from the installed
    `*.dist-info` folder names, without importing any library; "cldr" is Babel's locale data
    file (`babel/global.dat`: size and modification time)."""
    from importlib.util import find_spec

    wanted = {name.replace("-", "_").lower(): name for name in RENDER_LIBRARIES}
    found: dict[str, str] = {}
    folders = {str(Path(entry).resolve()) for entry in sys.path if entry and os.path.isdir(entry)}
    for folder in sorted(folders):
        for entry in os.listdir(folder):
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                key = name.replace("-", "_").replace(".", "_").lower()
                if key in wanted and wanted[key] not in found:
                    found[wanted[key]] = version
    spec = find_spec("babel")
    data = Path(spec.origin).parent / "global.dat" if spec and spec.origin else None
    cldr = f"global.dat {data.stat().st_size} {data.stat().st_mtime_ns}" if data and data.is_file() else "none"
    return [("python", sys.version), ("cldr", cldr), *((name, found.get(name, "none")) for name in RENDER_LIBRARIES)]


def fingerprint(paths: Paths, only: list[str] | None, strict: bool, package: Path = PACKAGE) -> str:
    """A digest (SHA-256, hex) of everything that shapes a build's output: the code that
    renders (`render_code`), the library, CLDR and Python versions, every file under sites/,
    templates/ and translations/, and the arguments. Equal digests, equal outputs."""
    digest = hashlib.sha256(json.dumps([
        STATE_VERSION, library_versions(), sorted(only or []), strict,
        [str(p.resolve()) for p in (paths.sites, paths.templates, paths.translations)],
    ]).encode())
    for path in render_code(package):
        with open(path, "rb") as fh:
            data = fh.read()
        digest.update(f"\0code/{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    for label, root in (("sites", paths.sites), ("templates", paths.templates), ("translations", paths.translations)):
        for rel, path in _files(root):
            with open(path, "rb") as fh:
                data = fh.read()
            digest.update(f"\0{label}/{rel}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def forget(out: Path) -> None:
    """Remove the record (before a build writes anything, so a half-done build is never trusted)."""
    state_path(out).unlink(missing_ok=True)


def record(out: Path, function_out: Path, fingerprint_: str, *, portals: list[dict[str, Any]], pages: int,
           warnings: list[dict[str, Any]], warning_lines: list[str]) -> None:
    """Write the record of a finished build into `out` and `function_out` (atomically)."""
    state = {
        "version": STATE_VERSION, "fingerprint": fingerprint_, "function_out": str(function_out.resolve()),
        "pages": pages, "portals": portals, "warnings": warnings, "warning_lines": warning_lines,
        "site": snapshot(out), "function": snapshot(function_out),
    }
    tmp = state_path(out).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(state_path(out))


def recorded(paths: Paths, out: Path, function_out: Path, only: list[str] | None = None, *,
             strict: bool = False, fingerprint_: str | None = None) -> Recorded | None:
    """The last build's record if a build now would write exactly what it left; None otherwise
    (no record, another fingerprint or arguments, an output file changed, added or removed)."""
    try:
        with open(state_path(out), encoding="utf-8") as fh:
            state = json.load(fh)
        if state.get("version") != STATE_VERSION or state["function_out"] != str(function_out.resolve()):
            return None
        if state["fingerprint"] != (fingerprint_ or fingerprint(paths, only, strict, PACKAGE)):
            return None
        if state["site"] != snapshot(out) or state["function"] != snapshot(function_out):
            return None

        def files(shot: dict[str, list[int]]) -> int:
            return sum(1 for rel in shot if not rel.endswith("/"))

        return Recorded(portals=state["portals"], pages=state["pages"], warnings=state["warnings"],
                        warning_lines=state["warning_lines"], site_files=files(state["site"]),
                        function_files=files(state["function"]))
    except (OSError, ValueError, KeyError, TypeError):  # no record, or one this code cannot read
        return None
