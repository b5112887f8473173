"""`reportal build`: load every portal, plan every page, render, then write once.

A bad config raises before anything is rendered, so `dist/` is left untouched.
A rebuild whose inputs and outputs are as the last build left them writes nothing and
returns at once (the record beside `out`: `reportal.site.state`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from reportal.site.catalogs import SOURCE_LANGUAGE, catalog_path, check_catalogs, compile_catalog, is_source, locale_id
from reportal.site.config import ConfigError, ConfigProblem, Portal, emergency_problems, load_config
from reportal.site.crawl import crawl_files
from reportal.site.output import WriteStats, add_file, write_output
from reportal.site.pages import plan_pages, portal_context, portal_languages, report_switcher
from reportal.site.render import MemoryBytecodeCache, make_environment, render_page, render_pages
from reportal.site.state import (  # noqa: F401  (PACKAGE, render_code, … : the fingerprint's parts, for tests)
    PACKAGE, RENDER_LIBRARIES, Paths, forget, record, recorded, render_code)
from reportal.site.state import fingerprint as _fingerprint, library_versions as _library_versions  # noqa: F401

__all__ = ["BuildResult", "Paths", "build", "function_files"]

FUNCTION_TEMPLATES = ("base.html", "report.html", "_field.html", "_help.html", "_lines.html", "fallback.html")


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


NOT_RECEIVED_PAGE = "_errors/not-received.html"  # infra/edge.yaml's CustomErrorResponses show it


def not_received_context(paths: Paths, tags: list[str], css: str) -> dict[str, Any]:
    """The context of the edge's "not received" page (`not_received.html`, rendered in English's
    environment): for each language of the portals (English first), that the report was not
    received and to go back and send it again, in that language."""
    from reportal.site.catalogs import language, load_translations

    notices = []
    for tag in [SOURCE_LANGUAGE] + [t for t in tags if t != SOURCE_LANGUAGE]:
        text = load_translations(paths.translations, tag).gettext
        notices.append({"lang": language(tag).tag, "dir": language(tag).dir,
                        "title": text("Your report was not received"),
                        "text": text("Something went wrong on our side. Please go back and try again."),
                        "choose": text("Choose your country")})
    return {"lang": notices[0]["lang"], "dir": notices[0]["dir"], "css": css, "notices": notices}


def other_files(portals: list[Portal], paths: Paths) -> dict[str, bytes]:
    """What the site holds besides the stylesheet and rendered pages (path → bytes): the partner
    logos and robots.txt, sitemap.xml, favicon.ico (`reportal.site.crawl`). The Hugo twin
    (bench/hugo.py) copies these as they are."""
    files: dict[str, bytes] = {}
    # One file per logo even when several portals show it (config refuses two logos with one name).
    logos = {Path(p.logo).name: p.logo for portal in portals for p in portal.partners if p.logo}
    for name, logo in sorted(logos.items()):
        add_file(files, f"logos/{name}", (paths.sites / logo).read_bytes())
    for name, data in crawl_files(portals, paths.templates).items():  # robots.txt, sitemap.xml, favicon.ico
        add_file(files, name, data)
    return files


def build(paths: Paths, out: Path, function_out: Path, only: list[str] | None = None, *,
          strict: bool = False, write: bool = True) -> BuildResult:
    """Build every portal (or those in `only`) into `out`, and the function's data into
    `function_out`; `write=False` does everything but write (`reportal check`).

    Every step appends its warnings (`ConfigProblem`, severity "warning") to one list; with
    `strict` any warning fails the build. Raises `ConfigError` (nothing written) or `OutputError`.
    """
    inputs = _fingerprint(paths, only, strict, PACKAGE) if write else ""
    if write and (previous := recorded(paths, out, function_out, only, strict=strict, fingerprint_=inputs)):
        return BuildResult([Portal.model_validate(p) for p in previous.portals], previous.pages,
                           WriteStats(unchanged=previous.site_files), WriteStats(unchanged=previous.function_files),
                           [ConfigProblem(**w) for w in previous.warnings])
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
    envs: dict[str, Any] = {}
    compiled = MemoryBytecodeCache()  # each template compiled once, not once per language

    def environment(lang: str) -> Any:
        if lang not in envs:
            envs[lang] = make_environment(paths.templates, paths.translations, lang, compiled)
        return envs[lang]

    files: dict[str, bytes] = {}
    add_file(files, css_path.lstrip("/"), css)
    for page, data in zip(pages, render_pages(pages, environment, render_page)):
        add_file(files, page.path, data)
    add_file(files, NOT_RECEIVED_PAGE, render_page(environment(SOURCE_LANGUAGE), "not_received.html",
                                                  not_received_context(paths, sorted(usage), css_path)))
    for name, data in other_files(portals, paths).items():
        add_file(files, name, data)
    fn = function_files(portals, paths, css_path)
    if strict and warnings:
        raise ConfigError(warnings)
    if not write:
        return BuildResult(portals, len(pages), WriteStats(), WriteStats(), warnings)
    forget(out)  # a build that stops half-way leaves no record
    site_stats = write_output(out, files)
    fn_stats = write_output(function_out, fn)
    result = BuildResult(portals=portals, pages=len(pages), site=site_stats, function=fn_stats,
                         warnings=warnings)
    record(out, function_out, inputs, portals=[p.model_dump(mode="json") for p in portals], pages=len(pages),
           warnings=[asdict(w) for w in warnings], warning_lines=[str(w) for w in warnings])
    return result
