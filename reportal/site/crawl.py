"""What search engines and browsers ask every site for, at its root: `robots.txt`,
`sitemap.xml` and `favicon.ico`.

The sitemap lists every page a search result may show (the report, thanks, privacy and help
pages of every portal in every language, and `/`), each with its hreflang alternates (the
same absolute URLs from the portal's `base_url` as the page's own `<link rel="alternate">`
tags), in the sitemaps.org format with Google's `xhtml:link` extension. It leaves out the
404 pages and `/<cc>/`, which is the default language's report page again (its
alternates name `/<cc>/<lang>/`). Output is a function of the portals alone: no dates, a
fixed order (portals by code, then page kind, then language as `portal_languages` orders
them), so two builds write the same bytes. `robots.txt` allows everything but `/submit`
(the form's endpoint answers POST only) and names the sitemap at every distinct `base_url`.
The favicon is `templates/favicon.ico` as it is: same origin, 113 bytes, so browsers'
automatic `/favicon.ico` request is answered (without it, every page logs a 404 error).
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from reportal.site.config import Portal
from reportal.site.pages import KINDS, alternates, page_href, portal_languages

__all__ = ["SITEMAP_KINDS", "crawl_files", "robots_txt", "sitemap_xml"]

# Page kinds a search result may show, in the sitemap's order.
SITEMAP_KINDS = tuple(kind for kind in KINDS if kind != "404")

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n')


def _bases(portals: list[Portal]) -> list[str]:
    """Every distinct `base_url` (without a trailing slash), sorted."""
    return sorted({p.base_url.rstrip("/") for p in portals})


def sitemap_xml(portals: list[Portal]) -> bytes:
    """The sitemap of `portals` (UTF-8 XML): one `<url>` per page, with one `xhtml:link` per
    alternate (every language of the portal, then `x-default`)."""
    lines = [_HEAD]
    for base in _bases(portals):
        lines.append(f"<url><loc>{escape(base)}/</loc></url>\n")
    for portal in sorted(portals, key=lambda p: p.code):
        base = portal.base_url.rstrip("/")
        for kind in SITEMAP_KINDS:
            links = "".join(f'<xhtml:link rel="alternate" hreflang={quoteattr(a["hreflang"])} href={quoteattr(a["href"])}/>'
                            for a in alternates(portal, base, kind))
            for lang in portal_languages(portal):
                lines.append(f"<url><loc>{escape(base + page_href(portal.code, lang, kind))}</loc>{links}</url>\n")
    lines.append("</urlset>\n")
    return "".join(lines).encode("utf-8")


def robots_txt(portals: list[Portal]) -> bytes:
    """`robots.txt`: every crawler may read every page, not the form's endpoint; the sitemap's
    address at each `base_url`."""
    lines = ["User-agent: *", "Disallow: /submit", ""]
    lines += [f"Sitemap: {base}/sitemap.xml" for base in _bases(portals)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def crawl_files(portals: list[Portal], templates: Path) -> dict[str, bytes]:
    """The files at the site's root: path under `dist/` → bytes."""
    return {"robots.txt": robots_txt(portals), "sitemap.xml": sitemap_xml(portals),
            "favicon.ico": (templates / "favicon.ico").read_bytes()}
