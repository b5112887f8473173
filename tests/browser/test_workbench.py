"""The analysts' workbench in a real browser (Debian Chromium): an analyst logs in with
password and TOTP, finds a report, takes it, assesses both of its URLs and sees it become
assessed; a supervisor then finds each step in the audit log. axe-core (WCAG 2.2 A/AA, light
and dark) runs on every workbench page; the walk is also done with JavaScript off and with the
keyboard alone; no request leaves the workbench's origin and the CSP is never violated.

The workbench is served by waitress on 127.0.0.1 (port 0) over a seeded inbox
(tests/workbench/support.py). With `REPORTAL_WORKBENCH_SCREENSHOTS=DIR` set (`make
workbench-screenshots`), the walk also writes a PNG of each screen to DIR for docs/workbench.md.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from tests.browser.browser_support import run_axe
from tests.workbench.support import Seeded, cheap_hasher, seed, totp_code

_SHOTS = os.environ.get("REPORTAL_WORKBENCH_SCREENSHOTS")


class Workbench:
    """A running workbench: `base` URL, the `seeded` inbox, and the axe findings per page."""

    def __init__(self, base: str, seeded: Seeded):
        self.base, self.seeded = base, seeded
        self.violations: list[tuple[str, str, str, list[str]]] = []
        self.checked: list[str] = []


@pytest.fixture
def workbench(tmp_path: Path) -> Iterator[Workbench]:
    """The workbench over a freshly seeded inbox, served by waitress in a thread."""
    import waitress

    from reportal.inbox.store import Store
    from reportal.workbench.app import WorkbenchSettings, create_app

    seeded = seed(tmp_path / "var" / "inbox.sqlite")
    app = create_app(WorkbenchSettings(hasher=cheap_hasher()), lambda: Store(seeded.db))
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=2, ident="")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Workbench(f"http://127.0.0.1:{server.effective_port}", seeded)
    finally:
        server.close()
        thread.join(timeout=5)


def _watch(page: Any, bench: Workbench) -> dict[str, list[str]]:
    """Collect every request URL and console line of `page`."""
    seen: dict[str, list[str]] = {"urls": [], "console": []}
    page.on("request", lambda request: seen["urls"].append(request.url))
    page.on("console", lambda msg: seen["console"].append(f"{msg.type}: {msg.text}"))
    return seen


def _check(page: Any, bench: Workbench, axe_source: str, name: str) -> None:
    """axe-core on the loaded page in light and dark; findings go to `bench.violations`; a
    screenshot `name`.png when asked for."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for v in run_axe(page, axe_source):
            bench.violations.append((name, scheme, v["id"], [n["target"] for n in v["nodes"]][:3]))
    page.emulate_media(color_scheme="light")
    bench.checked.append(name)
    if _SHOTS:
        Path(_SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(_SHOTS) / f"{name}.png"), full_page=True)


def _login(page: Any, bench: Workbench, name: str, steps_ahead: int = 0) -> None:
    page.goto(bench.base + "/")
    assert page.url == bench.base + "/login"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(bench.seeded.passwords[name])
    page.get_by_label("Code from your authenticator app").fill(totp_code(bench.seeded.secrets[name], steps_ahead))
    page.get_by_role("button", name="Log in").click()


def _assess(page: Any, number: int, outcome: str, country: str, action: str) -> None:
    card = page.locator(f"#url-{number}")
    card.get_by_label("Outcome").select_option(outcome)
    card.get_by_label("Hosting country").select_option(country)
    card.get_by_label("Action taken").select_option(action)
    card.get_by_role("button", name=f"Assess URL {number}").click()
    page.wait_for_load_state()


def test_the_walk_from_login_to_the_audit_log(workbench: Workbench, browser: Any, axe_source: str,
                                              figures: dict) -> None:
    bench, report = workbench, workbench.seeded.reports["two"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=bench.base)
    page = context.new_page()
    seen = _watch(page, bench)
    # GIVEN the login page
    page.goto(bench.base + "/login")
    _check(page, bench, axe_source, "login")
    # WHEN ana logs in with her password and the code of her authenticator
    _login(page, bench, "ana")
    # THEN she sees the queue, new reports first
    assert page.url == bench.base + "/"
    assert page.get_by_role("heading", name="Queue").is_visible()
    _check(page, bench, axe_source, "queue")
    # WHEN she searches for the report by its host and opens it
    page.get_by_label("Search URL or host").fill("other.example")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=report).click()
    assert page.url == f"{bench.base}/reports/{report}"
    assert page.locator(".status").first.inner_text() == "New"
    # AND the copy button copies URL 2 as shown
    page.get_by_role("button", name="Copy URL 2").click()
    page.wait_for_function("document.getElementById('copy-status').textContent !== ''")
    assert page.evaluate("navigator.clipboard.readText()") == "https://other.example/album?id=7"
    _check(page, bench, axe_source, "report")
    # WHEN she takes it
    page.get_by_role("button", name="Take this report").click()
    assert page.locator("dt:text-is('Taken by') + dd").inner_text() == "ana"
    # AND assesses both of its URLs
    _assess(page, 1, "baseline", "de", "notice-to-host")
    assert page.locator(".status").first.inner_text() == "In progress"
    _assess(page, 2, "unavailable", "unknown", "none")
    # THEN the report is assessed
    assert page.locator(".status").first.inner_text() == "Assessed"
    assert page.get_by_role("heading", name="URL 1: Illegal under INTERPOL's baseline criteria").is_visible()
    _check(page, bench, axe_source, "report-assessed")
    # AND URL 1 waits in the follow-up list
    page.get_by_role("link", name="Follow-up").click()
    assert page.locator("table.follow-up tbody tr").count() == 1
    _check(page, bench, axe_source, "follow-up")
    page.get_by_role("link", name="Account").click()
    _check(page, bench, axe_source, "account")
    # AND the audit log is not hers to read
    answer = page.goto(bench.base + "/audit")
    assert answer.status == 403
    _check(page, bench, axe_source, "forbidden")
    answer = page.goto(bench.base + "/reports/ffffffffffffffffffffffffffffffff")
    assert answer.status == 404
    _check(page, bench, axe_source, "not-found")
    page.goto(bench.base + "/")
    page.get_by_role("button", name="Log out").click()
    assert page.url == bench.base + "/login"
    # WHEN sam, a supervisor, logs in and reads the audit log for that report
    _login(page, bench, "sam")
    page.get_by_role("link", name="Audit log").click()
    page.get_by_label("Report").fill(report)
    page.get_by_role("button", name="Show").click()
    # THEN each of ana's steps is there
    rows = page.locator("table.audit tbody tr").all_inner_texts()
    steps = [r.split("\t")[2:4] for r in rows]
    assert ["ana", "view-report"] in steps and ["ana", "assign"] in steps
    assert steps.count(["ana", "assess"]) == 2
    page.goto(bench.base + "/audit")
    everything = page.locator("table.audit tbody").inner_text()
    assert "\tana\tlogin\t" in everything and "\tana\tlogout\t" in everything
    _check(page, bench, axe_source, "audit")
    page.get_by_role("link", name="Statistics").click()
    _check(page, bench, axe_source, "stats")
    page.get_by_label("Portal").select_option("bz")
    page.get_by_role("button", name="Show").click()
    assert page.locator("figure.chart").count() >= 1
    _check(page, bench, axe_source, "stats-portal")
    context.close()
    # AND no page broke a WCAG 2.2 A/AA rule, asked another origin for anything, or met its CSP
    figures["workbench pages checked with axe-core"] = f"{len(bench.checked)} (light and dark)"
    assert bench.violations == []
    assert [url for url in seen["urls"] if not url.startswith(bench.base + "/")] == []
    # (the 403 and 404 pages log "Failed to load resource" for their own status; nothing else may be logged)
    assert [line for line in seen["console"] if "Failed to load resource" not in line] == []


def test_the_walk_works_with_javascript_off(workbench: Workbench, browser: Any) -> None:
    bench, report = workbench, workbench.seeded.reports["two"]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    # GIVEN JavaScript off WHEN ana logs in, opens the report, takes it and assesses both URLs
    _login(page, bench, "ana")
    page.goto(f"{bench.base}/reports/{report}")
    # THEN the copy buttons stay hidden (the URL is plain selectable text)
    assert page.get_by_role("button", name="Copy URL 1").count() == 0
    page.get_by_role("button", name="Take this report").click()
    _assess(page, 1, "national", "nl", "forwarded-to-hotline")
    _assess(page, 2, "not-illegal", "unknown", "none")
    # AND the report is assessed
    assert page.locator(".status").first.inner_text() == "Assessed"
    context.close()


_FOCUSED = """() => { const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), id: e.id, text: (e.innerText || e.value || '').trim().slice(0, 40),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2}; }"""


def _tab_to(page: Any, match: Any, limit: int = 60) -> dict[str, Any]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        assert focused["outline"], f"no visible focus on {focused}"
        if match(focused):
            return focused
    raise AssertionError("not reached with Tab")


def test_the_keyboard_alone_suffices(workbench: Workbench, browser: Any) -> None:
    bench, report = workbench, workbench.seeded.reports["two"]
    context = browser.new_context()
    page = context.new_page()
    # GIVEN the login page WHEN ana fills it with Tab and typing, and presses Enter
    page.goto(bench.base + "/login")
    _tab_to(page, lambda f: f["id"] == "username")
    page.keyboard.type("ana")
    page.keyboard.press("Tab")
    page.keyboard.type(bench.seeded.passwords["ana"])
    page.keyboard.press("Tab")
    page.keyboard.type(totp_code(bench.seeded.secrets["ana"]))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # THEN she is in the queue; Tab reaches the report's link, Enter opens it
    assert page.url == bench.base + "/"
    _tab_to(page, lambda f: f["tag"] == "a" and f["text"] == report)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # AND Tab reaches "Take this report", Enter takes it
    _tab_to(page, lambda f: f["text"] == "Take this report")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("dt:text-is('Taken by') + dd").inner_text() == "ana"
    # AND URL 1 is assessed with arrow keys in the choices and Enter on the button
    _tab_to(page, lambda f: f["id"] == "u1-outcome")
    page.keyboard.press("ArrowDown")  # the first outcome: baseline
    _tab_to(page, lambda f: f["text"] == "Assess URL 1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(".status").first.inner_text() == "In progress"
    context.close()


_OVERFLOW = """() => [document.documentElement.scrollWidth - document.documentElement.clientWidth,
  [...document.querySelectorAll('main *, header *')].filter(e => { const r = e.getBoundingClientRect();
    return r.width && (r.right > innerWidth + 1 || r.left < -1) && !e.closest('table, .wide-table, .skip'); })
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''))]"""


def test_pages_reflow_at_320_css_pixels(workbench: Workbench, browser: Any) -> None:
    # WCAG 1.4.10: at 320 CSS pixels nothing but a data table (exempt: two-dimensional) needs
    # scrolling sideways, long hostile URLs included
    bench = workbench
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(bench.base + "/login")
    wide = {"login": page.evaluate(_OVERFLOW)}
    _login(page, bench, "ana")
    for name in ("two", "hostile"):
        page.goto(f"{bench.base}/reports/{bench.seeded.reports[name]}")
        wide[name] = page.evaluate(_OVERFLOW)
    page.goto(bench.base + "/account")
    wide["account"] = page.evaluate(_OVERFLOW)
    context.close()
    assert wide == {name: [0, []] for name in ("login", "two", "hostile", "account")}


def test_hostile_report_content_stays_text_in_the_browser(workbench: Workbench, browser: Any) -> None:
    bench = workbench
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    # GIVEN a report whose every field carries markup, script, a bidi override and terminal escapes
    _login(page, bench, "ana")
    page.goto(f"{bench.base}/reports/{bench.seeded.reports['hostile']}")
    # THEN no script ran and no reported markup became an element
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('img, svg, b, i, iframe, object, embed').length") == 0
    assert page.evaluate("[...document.scripts].map(s => new URL(s.src).pathname)") == ["/static/copy.js"]
    # AND the URL reads as sent, its invisible override written out
    shown = page.locator("#url-1-text").inner_text()
    assert shown == 'https://evil.example/"><img src=x onerror=alert(1)>\\u202egnp.exe'
    assert "\\x1b[31mred" in page.locator("dd.text").nth(1).inner_text()
    context.close()
