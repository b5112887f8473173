"""Partner logos: must exist under sites/, be SVG, and be unable to run script or load anything."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportal.site.logos import logo_problems
from tests.support import ROOT

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">{}</svg>'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'


def check(tmp_path: Path, text: str, name: str = "logos/p.svg") -> list[str]:
    """GIVEN a file at sites/<name> holding `text`, THEN every reason it cannot be a logo."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return logo_problems(tmp_path, name)


def test_plain_svg_with_internal_references_is_accepted(tmp_path: Path) -> None:
    body = ('<defs><linearGradient id="g"/></defs><rect width="10" height="10" fill="url(#g)"/>'
            '<use href="#g"/><rect style="fill: url(\'#g\'); stroke: rgb(0, 0, 0); font-family: \'A B\'"/>')
    assert check(tmp_path, SVG.format(body)) == []


@pytest.mark.parametrize("body,message", [
    ("<script>alert(1)</script>", "contains <script>, which a logo may not"),
    ('<rect onload="alert(1)"/>', "has an event handler (onload=) on <rect>"),
    ('<image href="https://tracker.example/x.png"/>',
     "refers to 'https://tracker.example/x.png' from <image>; only #fragments may be used"),
    ('<rect style="fill: url(https://x.example/p)"/>', "loads something through url() in style= on <rect>"),
    ("<style>rect { fill: red }</style>", "has a <style> element; a logo may not use style sheets: export "
     "it as plain SVG with presentation attributes (fill=, stroke=)"),
    ('<foreignObject/>', "contains <foreignObject>, which a logo may not"),
    ('<img xmlns="http://www.w3.org/1999/xhtml" src="https://x.example/t.png"/>',
     "contains HTML (<img>), which a logo may not"),
    ('<a href="#x"><set attributeName="href" to="javascript:alert(1)"/></a>', "contains <set>, which a logo may not"),
])
def test_unsafe_svg_is_refused(tmp_path: Path, body: str, message: str) -> None:
    assert check(tmp_path, SVG.format(body)) == [f"'logos/p.svg' {message}"]


@pytest.mark.parametrize("attribute,found", [
    ('style="background: u\\72l(https://evil.example/x)"', "a backslash (a CSS escape)"),
    ('style="mask-image: image-set(\'https://evil.example/x.png\' 1x)"',
     "a quoted string in a CSS function, such as image-set(\"…\")"),
    ('mask="image-set(url(#m) 1x, &quot;https://evil.example/x&quot; 2x)"',
     "a quoted string in a CSS function, such as image-set(\"…\")"),
    ('style="fill: uRl(#g x)"', "url() to something other than #id"),
    ('style="font-family: \')\'; mask: image-set(/*)*/\'https://evil.example/x.png\')"',
     "a quoted string in a CSS function, such as image-set(\"…\")"),
    ('fill="&#92;75rl(https://evil.example/)"', "a backslash (a CSS escape)"),
])
def test_css_that_could_load_something_is_refused_however_spelled(tmp_path: Path, attribute: str,
                                                                   found: str) -> None:
    name = attribute.split("=")[0]
    assert check(tmp_path, SVG.format(f"<rect {attribute}/>")) == [
        f"'logos/p.svg' has {found} in {name}= on <rect>, with which CSS could load something; remove it"]


@pytest.mark.parametrize("css", ['@\\69mport "https://evil.example/x.css";',
                                 "rect { fill: u\\72l(https://e.example/x) }",
                                 'rect { fill: image-set("https://evil.example/x.png" 1x) }'])
def test_any_style_element_is_refused(tmp_path: Path, css: str) -> None:
    [problem] = check(tmp_path, SVG.format(f"<style>{css}</style>"))
    assert problem.startswith("'logos/p.svg' has a <style> element; a logo may not use style sheets")


def test_symbolic_link_out_of_sites_is_refused(tmp_path: Path) -> None:
    # GIVEN a valid SVG outside sites/, and sites/logos/x.svg (or sites/logos itself) linking to it
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "x.svg").write_text(SVG.format("<rect/>"))
    sites = tmp_path / "sites"
    (sites / "logos").mkdir(parents=True)
    (sites / "logos" / "x.svg").symlink_to(outside / "x.svg")
    (sites / "dir").symlink_to(outside)
    (sites / "logos" / "inside.svg").symlink_to(sites / "logos" / "real.svg")
    (sites / "logos" / "real.svg").write_text(SVG.format("<rect/>"))
    # THEN the links out are refused, a link within sites/ is fine
    assert logo_problems(sites, "logos/x.svg") == [
        f"'logos/x.svg' leads outside sites/ through a symbolic link (to '{outside}/x.svg'); copy the file into sites/"]
    assert logo_problems(sites, "dir/x.svg") == [
        f"'dir/x.svg' leads outside sites/ through a symbolic link (to '{outside}/x.svg'); copy the file into sites/"]
    assert logo_problems(sites, "logos/inside.svg") == []


def test_xlink_href_to_data_is_refused(tmp_path: Path) -> None:
    text = SVG.replace("<svg ", f"<svg {XLINK} ").format('<image xlink:href="data:image/png;base64,AA"/>')
    assert check(tmp_path, text) == [
        "'logos/p.svg' refers to 'data:image/png;base64,AA' from <image>; only #fragments may be used"]


def test_dtd_and_entities_are_refused(tmp_path: Path) -> None:
    text = '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>' + SVG.format("&a;")
    [problem] = check(tmp_path, text)
    assert problem.startswith("'logos/p.svg' is not a well-formed SVG file without a DTD")


def test_stylesheet_processing_instruction_is_refused(tmp_path: Path) -> None:
    text = '<?xml-stylesheet href="https://x.example/a.css"?>' + SVG.format("")
    assert check(tmp_path, text) == [
        "'logos/p.svg' links a style sheet (<?xml-stylesheet?>); a logo may not load anything"]


def test_not_svg(tmp_path: Path) -> None:
    assert check(tmp_path, "<html/>") == [
        "'logos/p.svg' is not an SVG image: the root element is <html>, not <svg>"]
    assert check(tmp_path, "GIF89a", name="logos/p.gif") == ["'logos/p.gif' is not an .svg file; logos are SVG"]


def test_missing_or_outside_sites(tmp_path: Path) -> None:
    assert logo_problems(tmp_path, "logos/none.svg") == [
        f"'logos/none.svg' does not exist (looked for {tmp_path}/logos/none.svg)"]
    assert logo_problems(tmp_path, "../secret.svg") == [
        "'../secret.svg' must be a path inside sites/, such as logos/secret.svg"]


def test_portals_share_a_logo_but_two_logos_cannot_share_a_name(tmp_path: Path) -> None:
    from reportal.site.build import Paths, build
    from reportal.site.config import ConfigError, load_config

    root = ROOT
    sites = tmp_path / "sites"
    (sites / "logos" / "old").mkdir(parents=True)
    (sites / "_defaults.yaml").write_text(
        "base_url: https://r.example\nhotline: {name: H, url: https://h.example/}\n")
    svg = SVG.format("<rect/>")
    (sites / "logos" / "gp.svg").write_text(svg)
    (sites / "logos" / "old" / "gp.svg").write_text(SVG.format("<circle/>"))
    partner = "partners:\n  - name: GP\n    logo: logos/gp.svg\n"
    (sites / "pk.yaml").write_text("code: pk\nlanguages: [en]\n" + partner)
    (sites / "sn.yaml").write_text("code: sn\nlanguages: [en]\n" + partner)
    # GIVEN two portals showing the same logo, THEN it is published once
    build(Paths.under(root, sites), tmp_path / "dist", tmp_path / "fn")
    assert (tmp_path / "dist" / "logos" / "gp.svg").read_text() == svg
    # GIVEN a third portal with another file of the same name, THEN a config error
    (sites / "ug.yaml").write_text("code: ug\nlanguages: [en]\n" + partner.replace("logos/gp", "logos/old/gp"))
    with pytest.raises(ConfigError) as exc:
        load_config(sites)
    assert [str(p) for p in exc.value.problems] == [
        f"{sites}/ug.yaml:5: partners[0].logo: 'logos/old/gp.svg' and 'logos/gp.svg' would both be "
        "published as /logos/gp.svg; rename one"]
