"""robots.txt, sitemap.xml and favicon.ico at the site root, and a meta description on every
page: read from what `reportal build` wrote, checked against the built pages themselves."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import html5lib

from reportal.site.build import Paths, build
from reportal.site.catalogs import catalog_path, load_translations
from tests.support import DEFAULTS, FIXTURE_SITES, ROOT

SM = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
NS = {"h": "http://www.w3.org/1999/xhtml"}



def _page(path: Path):  # noqa: ANN202 - an ElementTree element
    return html5lib.HTMLParser(namespaceHTMLElements=True).parse(path.read_bytes())


def _noindex(path: Path) -> bool:
    """Whether the page asks search engines not to index it (the edge's not-received page)."""
    return any(m.get("name") == "robots" and "noindex" in m.get("content", "")
               for m in _page(path).findall(".//h:meta", NS))


def _indexable(dist: Path) -> list[str]:
    """Relative paths of the pages a search result may show: every HTML file but the 404
    pages, /<cc>/index.html (the default language's report page again) and noindex pages."""
    found = []
    for path in dist.rglob("*.html"):
        rel = path.relative_to(dist)
        if path.name == "404.html" or (len(rel.parts) == 2 and rel.name == "index.html") or _noindex(path):
            continue
        found.append(rel.as_posix())
    return sorted(found)


def test_sitemap_lists_every_page_once_with_the_alternates_the_page_carries(site: dict) -> None:
    # GIVEN a build WHEN its sitemap.xml is read
    dist, (base,) = site["dist"], {p.base_url.rstrip("/") for p in site["portals"]}
    root = ET.fromstring((dist / "sitemap.xml").read_bytes())
    entries = {u.findtext("s:loc", namespaces=SM): [(a.get("hreflang"), a.get("href"))
                                                   for a in u.findall("x:link", SM)] for u in root.findall("s:url", SM)}
    # THEN it names each indexable page exactly once, by its absolute URL under base_url
    locs = [u.findtext("s:loc", namespaces=SM) for u in root.findall("s:url", SM)]
    assert len(locs) == len(set(locs))
    assert sorted(locs) == sorted(f"{base}/{rel.removesuffix('index.html')}" for rel in _indexable(dist))
    assert len(locs) == 1 + sum(4 * len(p.languages) for p in site["portals"])
    # AND every page's alternates are exactly the page's own <link rel="alternate" hreflang> tags
    for loc, links in entries.items():
        rel = loc.removeprefix(base + "/") + "index.html"
        tags = [(link.get("hreflang"), link.get("href")) for link in _page(dist / rel).findall(".//h:link", NS)
                if link.get("rel") == "alternate"]
        assert links == tags, loc
        assert all(href.startswith(base + "/") for _, href in links)
    assert entries[f"{base}/bz/es/privacy/"] == [("en", f"{base}/bz/en/privacy/"), ("es", f"{base}/bz/es/privacy/"),
                                                ("x-default", f"{base}/bz/en/privacy/")]


def test_robots_allows_every_page_and_names_the_sitemap(site: dict) -> None:
    (base,) = {p.base_url.rstrip("/") for p in site["portals"]}
    assert (site["dist"] / "robots.txt").read_text() == (
        f"User-agent: *\nDisallow: /submit\n\nSitemap: {base}/sitemap.xml\n")


def test_robots_and_sitemap_are_the_same_bytes_from_build_to_build(tmp_path: Path) -> None:
    # GIVEN the same portals built again elsewhere
    for src in (ROOT / "sites", FIXTURE_SITES):
        first, second = tmp_path / src.name / "a", tmp_path / src.name / "b"
        build(Paths.under(ROOT, src), first, tmp_path / "fa")
        build(Paths.under(ROOT, src), second, tmp_path / "fb")
        for name in ("robots.txt", "sitemap.xml", "favicon.ico"):
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_each_base_url_gets_its_own_sitemap_line(tmp_path: Path) -> None:
    # GIVEN two portals served from two addresses
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "_defaults.yaml").write_text(DEFAULTS)
    (sites / "bz.yaml").write_text("code: bz\nlanguages: [en]\nno_emergency_number: none\n")
    (sites / "np.yaml").write_text("code: np\nlanguages: [ne, en]\nbase_url: https://np.example.org/\n"
                                   "no_emergency_number: none\n")
    # WHEN built
    build(Paths.under(ROOT, sites), tmp_path / "dist", tmp_path / "fn")
    # THEN robots.txt names both sitemaps, and each page is listed under its own portal's address
    robots = (tmp_path / "dist" / "robots.txt").read_text()
    assert robots.splitlines()[-2:] == ["Sitemap: https://np.example.org/sitemap.xml",
                                        "Sitemap: https://report.example.org/sitemap.xml"]
    locs = [u.findtext("s:loc", namespaces=SM) for u in ET.parse(tmp_path / "dist" / "sitemap.xml").getroot()]
    assert locs[:2] == ["https://np.example.org/", "https://report.example.org/"]
    assert "https://np.example.org/np/ne/help/" in locs and "https://report.example.org/bz/en/thanks/" in locs
    assert not [loc for loc in locs if "/np/" in loc and not loc.startswith("https://np.example.org/")]


def test_the_favicon_is_a_tiny_icon_at_the_root(site: dict) -> None:
    icon = (site["dist"] / "favicon.ico").read_bytes()
    assert icon[:4] == b"\x00\x00\x01\x00" and len(icon) < 1024  # ICONDIR, type 1 (icon)
    assert icon == (ROOT / "templates" / "favicon.ico").read_bytes()


def test_every_page_has_a_meta_description_in_its_language(site: dict) -> None:
    # GIVEN every built page WHEN its <meta name="description"> is read
    dist = site["dist"]
    seen = {}
    for path in sorted(dist.rglob("*.html")):
        if _noindex(path):
            continue  # not shown in search results: no description needed
        doc = _page(path)
        metas = [m.get("content") for m in doc.findall(".//h:meta", NS) if m.get("name") == "description"]
        rel = path.relative_to(dist).as_posix()
        # THEN there is one, and it is the catalog's translation of the page's English description
        assert len(metas) == 1 and metas[0].strip(), rel
        lang = doc.get("lang")
        seen.setdefault(lang, set()).add(metas[0])
        if catalog_path(ROOT / "translations", lang) is not None:
            translate = load_translations(ROOT / "translations", lang)
            english = _english_descriptions()
            assert metas[0] in {translate.gettext(m) for m in english}, rel
            assert metas[0] not in english, rel  # every catalog translates them
    assert len(seen["en"]) >= 5  # report, thanks, privacy, help, 404 (and / where built)


def _english_descriptions() -> set[str]:
    templates = ROOT / "templates"
    found = set()
    for name in ("report", "thanks", "privacy", "help", "404", "index", "root404"):
        text = (templates / f"{name}.html").read_text()
        start = text.index("{% block description %}{% trans %}") + len("{% block description %}{% trans %}")
        found.add(text[start:text.index("{% endtrans %}", start)])
    return found
