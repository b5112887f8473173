"""Plan every page of every portal before anything is rendered.

A `Page` is what one output file needs: its path under `dist/`, the template, the
language and a JSON-serializable context. Templates display the context; they compute
nothing. The function renders its 400/503 pages from the same contexts (`function_data`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from reportal.site.catalogs import country_name, language
from reportal.site.config import Portal

__all__ = ["EMPTY_FORM", "KINDS", "Page", "portal_context", "plan_pages"]

# The report form as the static page shows it; the function fills in what a reporter typed.
EMPTY_FORM: dict[str, Any] = {
    "status": "new", "errors": [],
    "values": {"url": ["", "", ""], "kind": "", "notes": "", "referrer": "", "email": ""},
}

# Page kind → (template, path under /<cc>/<lang>/).
KINDS: dict[str, tuple[str, str]] = {
    "report": ("report.html", "index.html"),
    "thanks": ("thanks.html", "thanks/index.html"),
    "privacy": ("privacy.html", "privacy/index.html"),
    "help": ("help.html", "help/index.html"),
    "404": ("404.html", "404.html"),
}


@dataclass(frozen=True)
class Page:
    """One output file: `path` relative to `dist/` (POSIX), rendered with `template` in `lang`."""

    path: str
    template: str
    lang: str
    context: dict[str, Any] = field(hash=False, compare=False)


def _href(code: str, lang: str, kind: str) -> str:
    suffix = KINDS[kind][1].removesuffix("index.html")
    return f"/{code}/{lang}/{suffix}"


def portal_context(portal: Portal, lang: str, css: str) -> dict[str, Any]:
    """The context shared by every page of `portal` in `lang` (JSON-serializable)."""
    meta = language(lang)
    texts = {key: per_lang[lang] for key, per_lang in portal.texts.items() if lang in per_lang}
    return {
        "lang": lang,
        "dir": meta.dir,
        "css": css,
        "base_url": portal.base_url.rstrip("/"),
        "hotline": portal.hotline.model_dump(),
        "texts": texts,
        "portal": {
            "code": portal.code,
            "name": country_name(portal.code, lang),
            "languages": list(portal.languages),
            "partners": [
                {"name": p.name, "url": p.url, "logo": f"/logos/{PurePosixPath(p.logo).name}" if p.logo else None}
                for p in portal.partners
            ],
            "help": [
                {"kind": h.kind, "label": h.label.get(lang, ""), "phone": h.phone, "url": h.url}
                for h in portal.help
            ],
        },
        "links": {kind: _href(portal.code, lang, kind) for kind in KINDS if kind != "404"},
    }


def _alternates(portal: Portal, base: str, kind: str) -> list[dict[str, str]]:
    alts = [
        {"hreflang": tag, "href": base + _href(portal.code, tag, kind), "path": _href(portal.code, tag, kind),
         "native": language(tag).native}
        for tag in sorted(portal.languages)
    ]
    alts.append({"hreflang": "x-default", "href": base + _href(portal.code, portal.default_language, kind)})
    return alts


def plan_pages(portals: list[Portal], css: str) -> list[Page]:
    """Every page of every portal in every language, plus `/<cc>/` and the root index."""
    pages: list[Page] = []
    for portal in portals:
        base = portal.base_url.rstrip("/")
        for lang in portal.languages:
            shared = portal_context(portal, lang, css)
            for kind, (template, rel) in KINDS.items():
                ctx = dict(shared, page=kind, switcher=[], alternates=[], form=EMPTY_FORM)
                if kind != "404":
                    alts = _alternates(portal, base, kind)
                    ctx["alternates"] = alts
                    ctx["switcher"] = [a for a in alts if a["hreflang"] not in ("x-default", lang)]
                pages.append(Page(f"{portal.code}/{lang}/{rel}", template, lang, ctx))
        default = portal.default_language
        for kind in ("report", "404"):
            template, rel = KINDS[kind]
            src = next(p for p in pages if p.path == f"{portal.code}/{default}/{rel}")
            pages.append(Page(f"{portal.code}/{rel}", template, default, src.context))
    listing = [
        {"code": p.code, "href": f"/{p.code}/", "names": [
            {"lang": t, "dir": language(t).dir, "name": country_name(p.code, t)} for t in p.languages
        ]}
        for p in portals
    ]
    root = {"lang": "en", "dir": "ltr", "css": css, "portals": listing, "page": "index",
            "alternates": [], "switcher": []}
    pages.append(Page("index.html", "index.html", "en", root))
    pages.append(Page("404.html", "root404.html", "en", root))
    return pages
