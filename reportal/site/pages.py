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
from typing import Any, Callable

from reportal.fields import form_values
from reportal.site.catalogs import SOURCE_LANGUAGE, country_name, language, opening_hours
from reportal.site.config import EMERGENCY_KINDS, HelpEntry, Portal

__all__ = ["KINDS", "Page", "alternates", "empty_form", "page_href", "plan_pages", "portal_context", "portal_languages",
           "report_switcher"]

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


def page_href(code: str, lang: str, kind: str) -> str:
    """The URL path of a page of `kind` (a key of `KINDS`), e.g. `/bz/es/privacy/`."""
    suffix = KINDS[kind][1].removesuffix("index.html")
    return f"/{code}/{lang}/{suffix}"


def _help_line(entry: HelpEntry, lang: str, locale: str) -> dict[str, Any]:
    """One help line as templates show it; `hours` is None, {"always": True}, or the days and
    times written the `locale`'s way (CLDR), e.g. {"days": "Monday–Friday", "opens": "08:00", …}."""
    hours: dict[str, Any] | None = None
    if entry.hours is not None and entry.hours.always:
        hours = {"always": True}
    elif entry.hours is not None and entry.hours.days and entry.hours.opens and entry.hours.closes:
        hours = {"always": False, **opening_hours(entry.hours.days, entry.hours.opens, entry.hours.closes, locale)}
    return {"kind": entry.kind, "label": entry.label.get(lang, ""), "phone": entry.phone, "url": entry.url,
            "hours": hours, "note": (entry.note or {}).get(lang)}


def portal_context(portal: Portal, lang: str, css: str, catalogued: bool = True) -> dict[str, Any]:
    """The context shared by every page of `portal` in `lang` (JSON-serializable).

    `catalogued` False means no catalog serves `lang`, so the page text is English: `lang`
    and `dir` are then English's, and `text_lang` (the language of the portal's own labels
    and texts, always `lang`'s tag) lets templates mark those. `help` is in the portal's
    order; the first line is shown above the form (for a child in danger now), and
    `has_emergency` says whether any line is an emergency or police number."""
    meta = language(lang)
    page = meta if catalogued else language(SOURCE_LANGUAGE)
    texts = {key: per_lang[lang] for key, per_lang in portal.texts.items() if lang in per_lang}
    return {
        "lang": page.tag,
        "dir": page.dir,
        "text_lang": meta.tag,
        "text_dir": meta.dir,
        "css": css,
        "base_url": portal.base_url.rstrip("/"),
        "hotline": portal.hotline.model_dump(),
        # Named on the privacy page in the page's language (CLDR); None where not configured.
        "hotline_country": country_name(portal.hotline.country, page.tag) if portal.hotline.country else None,
        "hosting": None if portal.hosting is None else {
            "provider": portal.hosting.provider, "region": portal.hosting.region,
            "country": country_name(portal.hosting.country, page.tag)},
        "texts": texts,
        "portal": {
            "code": portal.code,
            "name": portal.names.get(lang) or country_name(portal.code, page.tag),
            "languages": portal_languages(portal),
            "partners": [
                {"name": p.name, "url": p.url, "logo": f"/logos/{PurePosixPath(p.logo).name}" if p.logo else None}
                for p in portal.partners
            ],
            "help": [_help_line(h, lang, page.tag) for h in portal.help],
            "has_emergency": any(h.kind in EMERGENCY_KINDS and h.phone for h in portal.help),
        },
        "links": {kind: page_href(portal.code, lang, kind) for kind in KINDS if kind != "404"},
        "retention": portal.retention.model_dump(),
    }


def alternates(portal: Portal, base: str, kind: str) -> list[dict[str, str]]:
    """One alternate per language (sorted by tag) plus x-default; `href` absolute, `path` local."""
    tags = portal_languages(portal)
    alts = [
        {"hreflang": tag, "href": base + page_href(portal.code, tag, kind), "path": page_href(portal.code, tag, kind),
         "native": language(tag).native, "dir": language(tag).dir}
        for tag in sorted(tags)
    ]
    alts.append({"hreflang": "x-default", "href": base + page_href(portal.code, tags[0], kind)})
    return alts


def empty_form() -> dict[str, Any]:
    """The report form as the static page shows it (`reportal.fields`); the function fills
    in what a reporter typed."""
    return {"status": "new", "errors": [], "values": form_values({})}


def report_switcher(portal: Portal, lang: str) -> list[dict[str, str]]:
    """The language switcher of the report page in `lang`: the report page in each other language."""
    alts = alternates(portal, portal.base_url.rstrip("/"), "report")
    return [a for a in alts if a["hreflang"] not in ("x-default", lang)]


def _root_listing(portals: list[Portal]) -> list[dict[str, Any]]:
    """The root page's entries: each portal's country name in its languages (each distinct
    name once, so "Guatemala · Guatemala" never shows) and a link per language, by native name."""
    listing = []
    for p in sorted(portals, key=lambda p: p.code):
        names: list[dict[str, str]] = []
        for tag in portal_languages(p):
            name = p.names.get(tag) or country_name(p.code, tag)
            if all(n["name"] != name for n in names):
                names.append({"lang": tag, "dir": language(tag).dir, "name": name})
        langs = [{"lang": t, "dir": language(t).dir, "native": language(t).native, "href": page_href(p.code, t, "report")}
                 for t in portal_languages(p)]
        listing.append({"code": p.code, "href": f"/{p.code}/", "names": names, "languages": langs})
    return listing


def plan_pages(portals: list[Portal], css: str, catalogued: Callable[[str], bool] | None = None) -> list[Page]:
    """Every page of every portal in every language, plus `/<cc>/` and the root index.
    `catalogued(tag)` says whether a catalog serves `tag` (default: every language)."""
    pages: list[Page] = []
    form = empty_form()
    for portal in portals:
        contexts: dict[str, dict[str, Any]] = {}
        base = portal.base_url.rstrip("/")
        tags = portal_languages(portal)
        for lang in tags:
            shared = portal_context(portal, lang, css, catalogued(lang) if catalogued else True)
            for kind, (template, rel) in KINDS.items():
                ctx = dict(shared, page=kind, switcher=[], alternates=[], form=form)
                if kind != "404":
                    alts = alternates(portal, base, kind)
                    ctx["alternates"] = alts
                    ctx["switcher"] = [a for a in alts if a["hreflang"] not in ("x-default", lang)]
                pages.append(Page(f"{portal.code}/{lang}/{rel}", template, lang, ctx))
                if lang == tags[0]:
                    contexts[kind] = ctx
        for kind in ("report", "404"):  # /<cc>/ and its 404 are the default language's
            template, rel = KINDS[kind]
            pages.append(Page(f"{portal.code}/{rel}", template, tags[0], contexts[kind]))
    source = language(SOURCE_LANGUAGE)
    hotlines = sorted({p.hotline.name for p in portals})
    root = {"lang": source.tag, "dir": source.dir, "css": css, "portals": _root_listing(portals), "page": "index",
            "alternates": [], "switcher": [], "hotlines": hotlines}
    pages.append(Page("index.html", "index.html", source.tag, root))
    pages.append(Page("404.html", "root404.html", source.tag, root))
    return pages
