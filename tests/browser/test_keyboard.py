"""Keyboard only: skip link, a report made and sent with Tab, Space, arrows and Enter, and a
visible focus indicator on everything that takes focus (WCAG 2.4.1, 2.1.1, 2.4.7, 2.4.11)."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.browser.browser_support import inbox_report

_FOCUSED = """() => {
  const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), id: e.id, type: e.type || '', name: e.getAttribute('name') || '',
          text: (e.innerText || '').trim().slice(0, 40), outlineStyle: s.outlineStyle,
          outlineWidth: parseFloat(s.outlineWidth), visible: r.width > 0 && r.height > 0
            && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight};
}"""


def _tab(page: Any, key: str = "Tab") -> dict[str, Any]:
    page.keyboard.press(key)
    return page.evaluate(_FOCUSED)


def _tab_to(page: Any, element_id: str, limit: int = 25) -> list[dict[str, Any]]:
    """Press Tab until the element with `element_id` has focus; return every stop on the way."""
    stops = []
    for _ in range(limit):
        stops.append(_tab(page))
        if stops[-1]["id"] == element_id:
            return stops
    raise AssertionError(f"#{element_id} not reached with Tab: {[(s['tag'], s['id']) for s in stops]}")


def test_a_report_can_be_made_with_the_keyboard_alone(preview: Any, site_root: Path, page: Any) -> None:
    # GIVEN the Belize report page and a reporter who uses only the keyboard
    marker = f"keys-{uuid.uuid4().hex[:10]}"
    page.goto(preview.base + "/bz/en/")
    # WHEN they press Tab once, the skip link appears, and Enter skips the header
    skip = _tab(page)
    assert (skip["tag"], skip["visible"]) == ("a", True)
    page.keyboard.press("Enter")
    page.wait_for_function("location.hash === '#main'", timeout=5000)  # a busy machine may lag
    assert page.url.endswith("#main")
    # AND Tab reaches the number to call for a child in danger first, then the three help links,
    # then the address field, where they type
    stops = _tab_to(page, "url")
    assert [(s["tag"], s["text"]) for s in stops[:2]] == [("a", "911"), ("a", "No web address? Seen in an app or a chat")]  # text is cut at 40
    assert [s["tag"] for s in stops] == ["a", "a", "a", "a", "input"]
    page.keyboard.type("hxxp://bad.example/gallery")
    # AND Tab reaches the choices, Space picks the first, the arrow key moves to "Videos"
    stops = _tab_to(page, "kind-image")
    assert [s["id"] for s in stops] == ["url-2", "url-3", "kind-image"]
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(_FOCUSED)["id"] == "kind-video"
    assert _tab(page)["id"] == "notes"
    page.keyboard.type(f"Second row of thumbnails. {marker}")
    # AND the honeypot is never reached on the way to the button, which Enter presses
    stops = _tab_to(page, "")
    assert [s["id"] for s in stops] == ["referrer", "email", ""] and stops[-1]["tag"] == "button"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # THEN the thanks page, and the report in the inbox
    assert page.url == preview.base + "/bz/en/thanks/"
    report = inbox_report(site_root, marker)
    assert (report["portal"], report["lang"], report["kind"]) == ("bz", "en", "video")
    assert report["urls"][0]["normalized"] == "http://bad.example/gallery"


@pytest.mark.parametrize("path", ["/bz/en/", "/pk/ur/", "/bz/es/help/", "/"])
def test_focus_is_visible_on_everything_that_takes_it(preview: Any, page: Any, path: str) -> None:
    # GIVEN a page; WHEN Tab walks its whole focus order (until focus leaves the page)
    page.goto(preview.base + path)
    stops = []
    for _ in range(80):
        stop = _tab(page)
        if stop["tag"] == "body" or (stops and stop == stops[0]):
            break
        stops.append(stop)
    # THEN every stop is on screen with a solid outline at least 2 CSS pixels wide
    assert len(stops) >= 4
    hidden = [s for s in stops if not (s["visible"] and s["outlineStyle"] not in ("none", "")
                                       and s["outlineWidth"] >= 2)]
    assert hidden == []
    assert not any(s["name"] == "trap" for s in stops)  # the honeypot takes no focus
