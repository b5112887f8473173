"""Translations are text: a msgstr with quotes, `<` or `&` cannot break an attribute or the
form; autoescape holds for every template name; a missing key or two pages on one path fail."""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import html5lib
import pytest
from jinja2 import UndefinedError

from reportal.site.build import Paths, build
from reportal.site.output import OutputError, add_file
from reportal.site.render import make_environment, render_page
from tests.support import ROOT, form_controls

build_module = importlib.import_module("reportal.site.build")
NS = {"h": "http://www.w3.org/1999/xhtml"}
HOSTILE = {
    "Languages": 'Langues" onfocus="alert(1)',
    "Send report": '</button><script>alert("&")</script>',
    "This portal is run by %(name)s.": '<b>%(name)s</b> & «co» "x"',
    "Images": "Images'><input name=\"url\" value=\"evil\">",
}


def hostile_catalog(tmp_path: Path) -> Path:
    """translations/ whose French catalog holds HOSTILE translations."""
    out = tmp_path / "translations"
    shutil.copytree(ROOT / "translations" / "fr", out / "fr")
    shutil.copy(ROOT / "translations" / "messages.pot", out)
    po = out / "fr" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    for msgid, evil in HOSTILE.items():
        head = f'msgid "{msgid}"\nmsgstr "'
        start = text.index(head) + len(head)
        end = text.index('"\n', start)
        text = text[:start] + evil.replace('"', '\\"') + text[end:]
    po.write_text(text, encoding="utf-8")
    return out


def test_hostile_translations_cannot_break_attributes_or_the_form(tmp_path: Path) -> None:
    # GIVEN a French catalog full of quotes, markup and ampersands, and a hotline name with them too
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "_defaults.yaml").write_text('base_url: https://r.example.org\nhotline:\n  name: A & B "Q" <x>\n'
                                          "  url: https://h.example.org/\n")
    (sites / "sn.yaml").write_text("code: sn\nlanguages: [fr, en]\n")
    # WHEN the portal is built
    build(Paths(sites, ROOT / "templates", hostile_catalog(tmp_path)), tmp_path / "dist", tmp_path / "fn")
    raw = (tmp_path / "dist" / "sn" / "fr" / "index.html").read_bytes()
    doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(raw)
    # THEN every hostile string is shown exactly as text, in its attribute or element
    assert doc.find(".//h:nav[@aria-label]", NS).get("aria-label") == HOSTILE["Languages"]
    assert doc.findall(".//h:script", NS) == []
    form = doc.find(".//h:form", NS)
    assert ["".join(b.itertext()) for b in form.findall(".//h:button", NS)] == [HOSTILE["Send report"]]
    names = [(e.tag.split("}")[1], e.get("name")) for e in form.iter() if e.get("name")]
    assert names == [(tag, name) for tag, name, _ in form_controls()]
    assert [e.get("value") for e in form.findall(".//h:input[@name='url']", NS)] == ["", "", ""]
    assert "".join(form.find(".//h:label[@for='kind-image']", NS).itertext()) == HOSTILE["Images"]
    footer = [p for p in doc.findall(".//h:footer/h:p", NS)]
    assert ["".join(p.itertext()) for p in footer] == ['<b>A & B "Q" <x></b> & «co» "x"']
    assert footer[0].findall(".//h:b", NS) == []


@pytest.mark.parametrize("name", ["page.txt", "image.svg", "page.html", "no-extension"])
def test_autoescape_holds_for_every_template_name(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("<p title=\"{{ v }}\">{{ v }}</p>")
    env = make_environment(tmp_path, ROOT / "translations", "en")
    assert render_page(env, name, {"v": '"<&>'}) == b'<p title="&#34;&lt;&amp;&gt;">&#34;&lt;&amp;&gt;</p>'


def test_a_missing_context_key_fails_the_render(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text("{{ portal.nmae }}")
    env = make_environment(tmp_path, ROOT / "translations", "fr")
    with pytest.raises(UndefinedError, match="nmae"):
        render_page(env, "t.html", {"portal": {"name": "Sénégal"}})


def test_two_pages_on_one_path_is_an_error() -> None:
    files: dict[str, bytes] = {}
    add_file(files, "bz/en/index.html", b"a")
    with pytest.raises(OutputError, match="^bz/en/index.html: two pages are written to this path$"):
        add_file(files, "bz/en/index.html", b"b")
    with pytest.raises(OutputError, match="escapes the output directory"):
        add_file(files, "../index.html", b"c")


def test_a_build_planning_two_pages_on_one_path_fails_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    # GIVEN a plan in which the Spanish report page lands on the English one's path
    real = build_module.plan_pages

    def colliding(portals, css, catalogued=None):  # noqa: ANN001, ANN202
        pages = real(portals, css, catalogued)
        es = next(p for p in pages if p.path == "bz/es/index.html")
        return pages + [type(es)("bz/en/index.html", es.template, es.lang, es.context)]

    monkeypatch.setattr(build_module, "plan_pages", colliding)
    with pytest.raises(OutputError, match="bz/en/index.html: two pages are written to this path"):
        build(Paths.under(ROOT, ROOT / "tests" / "fixtures" / "sites"), tmp_path / "dist", tmp_path / "fn")
    assert not (tmp_path / "dist").exists()


def test_the_raw_bytes_hold_the_hostile_text_escaped(tmp_path: Path) -> None:
    """The result above is not an artefact of the parser: the bytes hold no raw `<script`."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "_defaults.yaml").write_text("base_url: https://r.example.org\nhotline:\n  name: H\n"
                                          "  url: https://h.example.org/\n")
    (sites / "sn.yaml").write_text("code: sn\nlanguages: [fr]\n")
    build(Paths(sites, ROOT / "templates", hostile_catalog(tmp_path)), tmp_path / "dist", tmp_path / "fn")
    raw = (tmp_path / "dist" / "sn" / "fr" / "index.html").read_text(encoding="utf-8")
    assert "<script" not in raw and "&lt;/button&gt;&lt;script&gt;alert(&#34;&amp;&#34;)&lt;/script&gt;" in raw
