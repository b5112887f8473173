"""`reportal build`: load every portal, plan every page, render, then write once.

A bad config raises before anything is rendered, so `dist/` is left untouched.
A rebuild whose inputs and outputs are as the last build left them writes nothing and
returns at once (state in `.<out>.reportal-state.json` beside `out`; see "Incremental builds").
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from reportal.site.catalogs import catalog_path, check_catalogs, compile_catalog, is_source, locale_id
from reportal.site.config import ConfigError, ConfigProblem, Portal, emergency_problems, load_config
from reportal.site.output import WriteStats, add_file, snapshot, write_output
from reportal.site.pages import plan_pages, portal_context, portal_languages, report_switcher
from reportal.site.render import MemoryBytecodeCache, make_environment, render_page

__all__ = ["BuildResult", "Paths", "build", "function_files"]

FUNCTION_TEMPLATES = ("base.html", "report.html", "_field.html", "_help.html", "_lines.html", "fallback.html")


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


@dataclass
class BuildResult:
    """What a build did: portals and pages built, write counts for `dist/` and function data
    (zero when `write=False`), and every warning found (config, catalogs, …)."""

    portals: list[Portal]
    pages: int
    site: WriteStats
    function: WriteStats
    warnings: list[ConfigProblem]


def _css(paths: Paths) -> tuple[str, bytes]:
    data = (paths.templates / "style.css").read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:10]
    return f"/style.{digest}.css", data


def catalogued(paths: Paths) -> Callable[[str], bool]:
    """Whether a catalog serves a BCP 47 tag (English, the source language, always is)."""
    return lambda tag: is_source(tag) or catalog_path(paths.translations, tag) is not None


def function_files(portals: list[Portal], paths: Paths, css: str) -> dict[str, bytes]:
    """What the submission function needs to answer 400/503 in the reporter's language:
    `site.json` (portal → languages and render contexts, each with the report page's language
    switcher), the form templates and `.mo` catalogs."""
    has = catalogued(paths)
    site = {
        p.code: {
            "languages": portal_languages(p),
            "contexts": {lang: dict(portal_context(p, lang, css, has(lang)), switcher=report_switcher(p, lang))
                         for lang in portal_languages(p)},
        }
        for p in portals
    }
    files: dict[str, bytes] = {}
    add_file(files, "site.json", json.dumps(site, ensure_ascii=False, sort_keys=True, indent=1).encode())
    for name in FUNCTION_TEMPLATES:
        add_file(files, f"templates/{name}", (paths.templates / name).read_bytes())
    langs = sorted({lang for p in portals for lang in portal_languages(p)})
    for lang in langs:  # each under its own locale id, so gettext finds it without fallback
        po = catalog_path(paths.translations, lang)
        if po is not None:
            add_file(files, f"locale/{locale_id(lang)}/LC_MESSAGES/messages.mo", compile_catalog(po))
    return files


def build(paths: Paths, out: Path, function_out: Path, only: list[str] | None = None, *,
          strict: bool = False, write: bool = True) -> BuildResult:
    """Build every portal (or those in `only`) into `out`, and the function's data into
    `function_out`; `write=False` does everything but write (`reportal check`).

    Every step appends its warnings (`ConfigProblem`, severity "warning") to one list; with
    `strict` any warning fails the build. Raises `ConfigError` (nothing written) or `OutputError`.
    """
    fingerprint = _fingerprint(paths, only, strict, PACKAGE) if write else ""
    if write and (previous := _unchanged(out, function_out, fingerprint)) is not None:
        return previous
    loaded = load_config(paths.sites, only)
    portals, warnings = loaded.portals, list(loaded.warnings) + emergency_problems(loaded.portals, paths.sites)
    usage: dict[str, list[str]] = {}
    accepted: dict[str, list[str]] = {}
    for portal in portals:
        for lang in portal_languages(portal):
            usage.setdefault(lang, []).append(portal.code)
        for lang in portal.launch_unreviewed:
            accepted.setdefault(lang, []).append(portal.code)
    catalog_problems = check_catalogs(paths.translations, usage, accepted)
    if any(p.severity == "error" for p in catalog_problems):
        raise ConfigError([p for p in catalog_problems if p.severity == "error"])
    warnings += catalog_problems
    css_path, css = _css(paths)
    pages = plan_pages(portals, css_path, catalogued(paths))
    envs = {}
    compiled = MemoryBytecodeCache()  # each template compiled once, not once per language
    files: dict[str, bytes] = {}
    add_file(files, css_path.lstrip("/"), css)
    for page in pages:
        env = envs.get(page.lang) or envs.setdefault(
            page.lang, make_environment(paths.templates, paths.translations, page.lang, compiled))
        add_file(files, page.path, render_page(env, page.template, page.context))
    # One file per logo even when several portals show it (config refuses two logos with one name).
    logos = {Path(p.logo).name: p.logo for portal in portals for p in portal.partners if p.logo}
    for name, logo in sorted(logos.items()):
        add_file(files, f"logos/{name}", (paths.sites / logo).read_bytes())
    fn = function_files(portals, paths, css_path)
    if strict and warnings:
        raise ConfigError(warnings)
    if not write:
        return BuildResult(portals, len(pages), WriteStats(), WriteStats(), warnings)
    _state_path(out).unlink(missing_ok=True)  # a build that stops half-way leaves no state
    site_stats = write_output(out, files)
    fn_stats = write_output(function_out, fn)
    result = BuildResult(portals=portals, pages=len(pages), site=site_stats, function=fn_stats,
                         warnings=warnings)
    _save_state(out, function_out, fingerprint, result)
    return result


# Incremental builds. A build that would write exactly what the last one wrote is skipped: its
# inputs (every file under sites/, templates/ and translations/, the source of this package, the
# versions of Python and of the libraries that shape the output, and the arguments) hash to the
# fingerprint recorded beside `out`, and both output trees still hold what that build left
# (same files, sizes and modification times). Anything else is a full build, so the output is
# always the one a full build would write.
_STATE_VERSION = 1


def _state_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.reportal-state.json")


# The package whose modules the build runs; a test points it at a copy.
PACKAGE = Path(__file__).resolve().parents[1]
# Distributions whose version is part of the fingerprint: every library `render_code` imports
# (tests/site/test_incremental.py holds this list equal to those imports).
RENDER_LIBRARIES = ("babel", "defusedxml", "idna", "jinja2", "markupsafe", "pydantic", "pydantic-core", "pyrage",
                    "pyyaml")


def render_code(package: Path = PACKAGE) -> list[Path]:
    """The modules of `package` (the `reportal` package folder) a build can run: this module and
    every `reportal.*` module it imports, at module level or inside a function, transitively,
    found by reading their import statements (ast). Sorted. So an edit to any module that shapes
    output (the page environment, the fields, the config schema, …) changes the fingerprint,
    while the workbench or the inbox do not."""
    import ast

    def module_file(name: str) -> Path | None:
        parts = name.split(".")[1:]
        for candidate in (package.joinpath(*parts).with_suffix(".py") if parts else None,
                          package.joinpath(*parts, "__init__.py")):
            if candidate is not None and candidate.is_file():
                return candidate
        return None

    start = package / "site" / "build.py"  # this module
    seen: set[Path] = set()
    todo = [start, package / "__init__.py"]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        names: list[str] = []
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name == "reportal" or name.startswith("reportal."):
                parts = name.split(".")
                for depth in range(1, len(parts) + 1):  # a package's __init__ runs on import too
                    found = module_file(".".join(parts[:depth]))
                    if found is not None:
                        todo.append(found)
    return sorted(seen)


def _library_versions() -> list[tuple[str, str]]:
    """(distribution, version) of every library the build renders with, the CLDR release of
    Babel's locale data and the Python version: a different Jinja, MarkupSafe, Babel/CLDR,
    PyYAML or pydantic may give different bytes from the same inputs."""
    from importlib.metadata import version

    from babel.core import get_cldr_version

    return [("python", sys.version), ("cldr", get_cldr_version()), *((name, version(name)) for name in RENDER_LIBRARIES)]


def _fingerprint(paths: Paths, only: list[str] | None, strict: bool, package: Path) -> str:
    """A digest of everything that shapes a build's output: the code that renders
    (`render_code`), the library, CLDR and Python versions, every file under sites/,
    templates/ and translations/, and the arguments. Equal digests, equal outputs."""
    digest = hashlib.sha256(json.dumps([
        _STATE_VERSION, _library_versions(), sorted(only or []), strict,
        [str(p.resolve()) for p in (paths.sites, paths.templates, paths.translations)],
    ]).encode())
    for path in render_code(package):
        data = path.read_bytes()
        digest.update(f"\0code/{path.relative_to(package).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    trees = [("sites", paths.sites), ("templates", paths.templates), ("translations", paths.translations)]
    for label, root in trees:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            data = path.read_bytes()
            digest.update(f"\0{label}/{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def _save_state(out: Path, function_out: Path, fingerprint: str, result: BuildResult) -> None:
    state = {
        "fingerprint": fingerprint, "function_out": str(function_out.resolve()), "pages": result.pages,
        "portals": [p.model_dump(mode="json") for p in result.portals],
        "warnings": [asdict(w) for w in result.warnings],
        "site": snapshot(out), "function": snapshot(function_out),
    }
    tmp = _state_path(out).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(_state_path(out))


def _unchanged(out: Path, function_out: Path, fingerprint: str) -> BuildResult | None:
    """The last build's result if it would be written again unchanged; None otherwise."""
    try:
        state = json.loads(_state_path(out).read_text(encoding="utf-8"))
        if (state["fingerprint"] != fingerprint or state["function_out"] != str(function_out.resolve())
                or state["site"] != snapshot(out) or state["function"] != snapshot(function_out)):
            return None
        portals = [Portal.model_validate(p) for p in state["portals"]]
        warnings = [ConfigProblem(**w) for w in state["warnings"]]
    except (OSError, ValueError, KeyError, TypeError):  # no state, or one this code cannot read
        return None

    def files(shot: dict[str, list[int]]) -> int:
        return sum(1 for rel in shot if not rel.endswith("/"))

    return BuildResult(portals, state["pages"], WriteStats(unchanged=files(state["site"])),
                       WriteStats(unchanged=files(state["function"])), warnings)
