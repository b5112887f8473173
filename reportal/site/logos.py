"""Partner logos: SVG files under `sites/`, copied to `/logos/` on the portals' own origin.

A logo is served from the same origin as the report form, so an SVG that can run script or
fetch anything would break the anonymity promise (no third-party request) or the page itself.
`logo_problems` therefore accepts only a well-formed SVG document without a DTD, without
script, event handlers, embedded foreign content, animation of attributes, style sheets that
import, or any reference that is not a same-document fragment (`#id`).
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
        if name == "style" and element.text:
            refs = [r for r in _URL.findall(element.text) if not r.startswith("#")]
            if refs or "@import" in element.text:
                problems.append("has a <style> that loads something; a logo may not load anything")
        for attr, value in element.attrib.items():
            attr_name = _local(attr)
            if attr_name.lower().startswith("on"):
                problems.append(f"has an event handler ({attr_name}=) on <{name}>")
            elif attr_name == "href" and not value.strip().startswith("#"):
                problems.append(f"refers to {value.strip()[:60]!r} from <{name}>; only #fragments may be used")
            elif any(not ref.startswith("#") for ref in _URL.findall(value)):
                problems.append(f"loads something through url() in {attr_name}= on <{name}>")
    return list(dict.fromkeys(problems))


def logo_problems(sites: Path, logo: str) -> list[str]:
    """Every reason why `logo` (a path relative to `sites/`) cannot be published; [] if none.

    Shapes: `logo` like "logos/bz-police.svg"; returns messages in plain words.
    """
    relative = Path(logo)
    if relative.is_absolute() or ".." in relative.parts:
        return [f"{logo!r} must be a path inside sites/, such as logos/{relative.name}"]
    if relative.suffix.lower() != ".svg":
        return [f"{logo!r} is not an .svg file; logos are SVG"]
    path = sites / relative
    if not path.is_file():
        return [f"{logo!r} does not exist (looked for {path})"]
    return [f"{logo!r} {message}" for message in _svg_problems(path.read_bytes())]
