"""Walk every page of every built portal (real `sites/` and the fixtures): each parses as HTML
without a single parse error (html5lib, strict), carries the right `lang`/`dir`, the form
fields, and alternates that are absolute and point at files that exist in the build."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import html5lib

from reportal.site.catalogs import SOURCE_LANGUAGE, language, load_translations
from reportal.site.pages import portal_languages
from tests.support import ROOT, form_controls

NS = {"h": "http://www.w3.org/1999/xhtml"}



def parse(path: Path):  # noqa: ANN201 - an ElementTree element
    """The page as a tree; raises html5lib's ParseError on any parse error."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(path.read_bytes())


def local(dist: Path, href: str, base: str) -> Path:
    """The file under `dist` an absolute portal URL names (`/x/` → `x/index.html`)."""
    assert href.startswith(base + "/"), href
    path = urlsplit(href).path
    return dist / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))


def expected_lang(rel: str, portals: dict) -> str:
    parts = rel.split("/")
    if len(parts) == 1 or parts[0] == "_errors":
        return SOURCE_LANGUAGE  # / and /404.html; the edge's error page (every language, English first)
    tags = portal_languages(portals[parts[0]])
    return parts[1] if parts[1] in tags else tags[0]  # /<cc>/index.html, /<cc>/404.html: default


def test_every_page_parses_with_lang_dir_and_referrer_policy(site: dict) -> None:
    portals = {p.code: p for p in site["portals"]}
    pages = sorted(site["dist"].rglob("*.html"))
    assert len(pages) == 3 + sum(2 + 5 * len(p.languages) for p in site["portals"])  # 3: /, /404, the edge's page
    for path in pages:
        rel = path.relative_to(site["dist"]).as_posix()
        doc = parse(path)
        lang = expected_lang(rel, portals)
        assert (doc.get("lang"), doc.get("dir")) == (lang, language(lang).dir), rel
        assert language(doc.get("lang")).tag == doc.get("lang"), rel  # canonical BCP 47
        assert doc.find(".//h:meta[@name='referrer']", NS).get("content") == "no-referrer", rel


def test_every_report_page_holds_the_form_with_directions_set(site: dict) -> None:
    for portal in site["portals"]:
        for lang in portal_languages(portal):
            for rel in [f"{portal.code}/{lang}/index.html"] + ([f"{portal.code}/index.html"] * (lang == portal.languages[0])):
                form = parse(site["dist"] / rel).find(".//h:form", NS)
                assert (form.get("method"), form.get("action")) == ("post", "/submit"), rel
                fields = [(e.tag.split("}")[1], e.get("name"), e.get("type")) for e in form.iter() if e.get("name")]
                assert fields == form_controls(), rel
                assert form.find(".//h:input[@name='portal']", NS).get("value") == portal.code
                assert form.find(".//h:input[@name='lang']", NS).get("value") == lang
                for name in ("url", "referrer", "email"):
                    assert {e.get("dir") for e in form.findall(f".//h:input[@name='{name}']", NS)} == {"ltr"}, rel
                assert form.find(".//h:textarea[@name='notes']", NS).get("dir") == "auto", rel
                for field in form.iter(f"{{{NS['h']}}}input"):
                    if field.get("type") != "hidden" and field.get("name") != "trap":
                        assert form.find(f".//h:label[@for='{field.get('id')}']", NS) is not None, (rel, field.get("id"))


def test_alternates_are_absolute_complete_and_point_at_existing_files(site: dict) -> None:
    for portal in site["portals"]:
        base, tags = portal.base_url.rstrip("/"), portal_languages(portal)
        for lang in tags:
            for page in ("", "thanks/", "privacy/", "help/"):
                rel = f"{portal.code}/{lang}/{page}index.html"
                doc = parse(site["dist"] / rel)
                alts = [(a.get("hreflang"), a.get("href")) for a in doc.findall(".//h:link[@rel='alternate']", NS)]
                assert [h for h, _ in alts] == sorted(tags) + ["x-default"], rel
                for hreflang, href in alts:
                    target = local(site["dist"], href, base)
                    assert target.is_file(), (rel, href)
                    want = tags[0] if hreflang == "x-default" else hreflang
                    assert href == f"{base}/{portal.code}/{want}/{page}", (rel, href)
                    assert parse(target).get("lang") == want
                # AND the switcher names every other language natively, in its own lang and dir
                links = doc.findall(".//h:ul[@class='langs']/h:li/h:a", NS)
                assert [(a.get("lang"), a.get("dir"), a.text) for a in links] == [
                    (t, language(t).dir, language(t).native) for t in sorted(tags) if t != lang], rel
                for a in links:
                    assert (site["dist"] / a.get("href").lstrip("/") / "index.html").is_file()


def test_each_language_has_its_own_404_and_the_portal_root_is_the_default(site: dict) -> None:
    for portal in site["portals"]:
        tags = portal_languages(portal)
        for lang in tags:
            heading = parse(site["dist"] / portal.code / lang / "404.html").find(".//h:h1", NS).text
            assert heading == load_translations(ROOT / "translations", lang).gettext("Page not found"), lang
        root = parse(site["dist"] / portal.code / "404.html")
        assert root.get("lang") == tags[0]
        assert (site["dist"] / portal.code / "404.html").read_bytes() == (site["dist"] / portal.code / tags[0] / "404.html").read_bytes()
        assert (site["dist"] / portal.code / "index.html").read_bytes() == (site["dist"] / portal.code / tags[0] / "index.html").read_bytes()
