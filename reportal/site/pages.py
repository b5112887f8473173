"""Plan every page of every portal before anything is rendered.

A `Page` is what one output file needs: its path under `dist/`, the template, the
language and a JSON-serializable context. Templates display the context; they compute
nothing. The function renders its 400/503 pages from the same contexts (`function_data`).

Languages are ordered default first, then the others sorted by tag (`portal_languages`),
so the output does not depend on the order of a portal's non-default languages. Every
page but a 404 carries one absolute alternate per language of the portal plus
`x-default` (the default language's page); every language has its own 404 page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from reportal.fields import form_values
from reportal.site.catalogs import SOURCE_LANGUAGE, country_name, language
from reportal.site.config import Portal

__all__ = ["KINDS", "Page", "empty_form", "plan_pages", "portal_context", "portal_languages"]

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


def portal_languages(portal: Portal) -> list[str]:
    """The portal's languages as canonical BCP 47 tags: the default first, then the rest sorted."""
    tags = [language(tag).tag for tag in portal.languages]
    return tags[:1] + sorted(tags[1:])


def _href(code: str, lang: str, kind: str) -> str:
    suffix = KINDS[kind][1].removesuffix("index.html")
    return f"/{code}/{lang}/{suffix}"


def portal_context(portal: Portal, lang: str, css: str) -> dict[str, Any]:
    """The context shared by every page of `portal` in `lang` (JSON-serializable)."""
    meta = language(lang)
    texts = {key: per_lang[lang] for key, per_lang in portal.texts.items() if lang in per_lang}
    return {
        "lang": meta.tag,
        "dir": meta.dir,
        "css": css,
        "base_url": portal.base_url.rstrip("/"),
        "hotline": portal.hotline.model_dump(),
        "texts": texts,
        "portal": {
            "code": portal.code,
            "name": portal.names.get(lang) or country_name(portal.code, lang),
            "languages": portal_languages(portal),
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
        "retention": portal.retention.model_dump(),
    }


def _alternates(portal: Portal, base: str, kind: str) -> list[dict[str, str]]:
    """One alternate per language (sorted by tag) plus x-default; `href` absolute, `path` local."""
    tags = portal_languages(portal)
    alts = [
        {"hreflang": tag, "href": base + _href(portal.code, tag, kind), "path": _href(portal.code, tag, kind),
         "native": language(tag).native, "dir": language(tag).dir}
        for tag in sorted(tags)
    ]
    alts.append({"hreflang": "x-default", "href": base + _href(portal.code, tags[0], kind)})
    return alts


def empty_form() -> dict[str, Any]:
    """The report form as the static page shows it (`reportal.fields`); the function fills
    in what a reporter typed."""
    return {"status": "new", "errors": [], "values": form_values({})}


def plan_pages(portals: list[Portal], css: str) -> list[Page]:
    """Every page of every portal in every language, plus `/<cc>/` and the root index."""
    pages: list[Page] = []
    form = empty_form()
    for portal in portals:
        contexts: dict[str, dict[str, Any]] = {}
        base = portal.base_url.rstrip("/")
        tags = portal_languages(portal)
        for lang in tags:
            shared = portal_context(portal, lang, css)
            for kind, (template, rel) in KINDS.items():
                ctx = dict(shared, page=kind, switcher=[], alternates=[], form=form)
                if kind != "404":
                    alts = _alternates(portal, base, kind)
                    ctx["alternates"] = alts
                    ctx["switcher"] = [a for a in alts if a["hreflang"] not in ("x-default", lang)]
                pages.append(Page(f"{portal.code}/{lang}/{rel}", template, lang, ctx))
                if lang == tags[0]:
                    contexts[kind] = ctx
        for kind in ("report", "404"):  # /<cc>/ and its 404 are the default language's
            template, rel = KINDS[kind]
            pages.append(Page(f"{portal.code}/{rel}", template, tags[0], contexts[kind]))
    listing = [
        {"code": p.code, "href": f"/{p.code}/", "names": [
            {"lang": t, "dir": language(t).dir, "name": p.names.get(t) or country_name(p.code, t)} for t in portal_languages(p)
        ]}
        for p in sorted(portals, key=lambda p: p.code)
    ]
    source = language(SOURCE_LANGUAGE)
    root = {"lang": source.tag, "dir": source.dir, "css": css, "portals": listing, "page": "index",
            "alternates": [], "switcher": []}
    pages.append(Page("index.html", "index.html", source.tag, root))
    pages.append(Page("404.html", "root404.html", source.tag, root))
    return pages
