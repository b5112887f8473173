"""Partner logos: SVG files under `sites/`, copied to `/logos/` on the portals' own origin.

A logo is served from the same origin as the report form, so an SVG that can run script or
fetch anything would break the anonymity promise (no third-party request) or the page itself.
`logo_problems` therefore accepts only a well-formed SVG document without a DTD, without
script, event handlers, embedded foreign content, animation of attributes, or any reference that
is not a same-document fragment (`#id`), read from a file whose real path (symbolic links
resolved) is inside `sites/`.

CSS is where a denylist fails: escapes (`@\69mport`, `u\72l(`), `image-set("…")` and strings
all load things without the letters `url(`. So a logo may have no `<style>` element at all
(editors export presentation attributes, `fill="#c00"`, when asked for plain SVG); and in any
attribute (presentation attributes are CSS too), once `url(#fragment)` references are set aside,
no backslash and no other `url(` may remain, nor a quote where there is a parenthesis: without
them CSS has no way to name anything to load (CSS Syntax Level 3 §4.3: escapes start with a
backslash; CSS Images Level 4: `image-set()`, `image()`, `cross-fade()` take only strings or
`url()`; so a quote may appear only outside parentheses, as in `font-family: 'A'`). HTML
elements (`<html:img src>`) are refused outright.
"""
from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

__all__ = ["logo_problems"]

_SVG = "{http://www.w3.org/2000/svg}svg"
# Elements that run code, embed other documents or rewrite attributes (SVG 2 §15, §19).
_FORBIDDEN = frozenset({
    "script", "foreignObject", "iframe", "embed", "object", "audio", "video", "canvas",
    "handler", "listener", "set", "animate", "animateMotion", "animateTransform", "discard",
})
_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
# url(#id), url('#id'), url("#id"): a reference inside the logo itself.
_FRAGMENT_URL = re.compile(r"""url\(\s*(['"]?)#[-\w.:]*\1\s*\)""", re.IGNORECASE)
_XHTML = "{http://www.w3.org/1999/xhtml}"


_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)


def _quote_in_function(css: str) -> bool:
    """Whether a quote appears inside parentheses. Comments are removed first and the depth
    never drops below zero, so a ")" in a comment or string can only make this say yes."""
    depth = 0
    for ch in _CSS_COMMENT.sub(" ", css):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch in "'\"" and depth:
            return True
    return False


def _css_problem(value: str) -> str | None:
    """What in an attribute value could make CSS load something, or None (module docstring)."""
    rest = _FRAGMENT_URL.sub("", value)
    if "\\" in rest:
        return "a backslash (a CSS escape)"
    if "url(" in rest.lower():
        return "url() to something other than #id"
    if _quote_in_function(rest):
        return "a quoted string in a CSS function, such as image-set(\"…\")"
    return None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _svg_problems(data: bytes) -> list[str]:
    if re.search(rb"<\?xml-stylesheet", data, re.IGNORECASE):
        return ["links a style sheet (<?xml-stylesheet?>); a logo may not load anything"]
    try:
        root = fromstring(data, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        return [f"is not a well-formed SVG file without a DTD: {exc}"]
    if root.tag != _SVG:
        return [f"is not an SVG image: the root element is <{_local(root.tag)}>, not <svg>"]
    problems: list[str] = []
    for element in root.iter():
        name = _local(element.tag)
        if name in _FORBIDDEN:
            problems.append(f"contains <{name}>, which a logo may not")
        elif element.tag.startswith(_XHTML):
            problems.append(f"contains HTML (<{name}>), which a logo may not")
        if name == "style":
            problems.append("has a <style> element; a logo may not use style sheets: export it as plain SVG "
                            "with presentation attributes (fill=, stroke=)")
        for attr, value in element.attrib.items():
            attr_name = _local(attr)
            if attr_name.lower().startswith("on"):
                problems.append(f"has an event handler ({attr_name}=) on <{name}>")
            elif attr_name == "href" and not value.strip().startswith("#"):
                problems.append(f"refers to {value.strip()[:60]!r} from <{name}>; only #fragments may be used")
            elif any(not ref.startswith("#") for ref in _URL.findall(value)):
                problems.append(f"loads something through url() in {attr_name}= on <{name}>")
            elif _css_problem(value):
                problems.append(f"has {_css_problem(value)} in {attr_name}= on <{name}>, with which CSS "
                                f"could load something; remove it")
    return list(dict.fromkeys(problems))


def logo_problems(sites: Path, logo: str) -> list[str]:
    """Every reason why `logo` (a path relative to `sites/`) cannot be published; [] if none.

    Shapes: `logo` like "logos/bz-police.svg"; returns messages in plain words. The file is
    read at its real path, which must be inside `sites/` too (a symbolic link may point only
    within it), so a portal file cannot publish a file from elsewhere on the machine.
    """
    relative = Path(logo)
    if relative.is_absolute() or ".." in relative.parts:
        return [f"{logo!r} must be a path inside sites/, such as logos/{relative.name}"]
    if relative.suffix.lower() != ".svg":
        return [f"{logo!r} is not an .svg file; logos are SVG"]
    path = sites / relative
    if not path.is_file():
        return [f"{logo!r} does not exist (looked for {path})"]
    real = path.resolve()
    if not real.is_relative_to(sites.resolve()):
        return [f"{logo!r} leads outside sites/ through a symbolic link (to {str(real)!r}); "
                f"copy the file into sites/"]
    return [f"{logo!r} {message}" for message in _svg_problems(real.read_bytes())]
