"""In a real browser (issue 17): Chromium's own autofill, given a saved address, never fills the
spam trap, so a reporter who lets it fill the form is not thanked and dropped; and on a 360 px
phone the line to call for a child in danger is on the first screen, above the form."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from reportal.site.config import load_config
from reportal.site.pages import portal_languages
from tests.browser.browser_support import inbox_report
from tests.support import wait_until

# A saved address as Chromium's autofill holds one (field types from Chromium's field_types.cc).
ADDRESS = {"fields": [
    {"name": "NAME_FULL", "value": "Jo Reporter"}, {"name": "EMAIL_ADDRESS", "value": "jo@example.org"},
    {"name": "PHONE_HOME_WHOLE_NUMBER", "value": "+441234567890"}, {"name": "COMPANY_NAME", "value": "Acme"},
    {"name": "ADDRESS_HOME_LINE1", "value": "1 High Street"}, {"name": "ADDRESS_HOME_CITY", "value": "Town"},
    {"name": "ADDRESS_HOME_ZIP", "value": "AB1 2CD"}, {"name": "ADDRESS_HOME_COUNTRY", "value": "GB"},
]}
_VALUES = "() => Object.fromEntries([...document.querySelectorAll('input:not([type=radio]),textarea')]" \
          ".filter(e => e.name !== 'url').map(e => [e.name, e.value]))"


def _autofill(page: Any, selector: str, filled: str) -> None:
    """Let Chromium's autofill engine fill the form of `selector` with `ADDRESS` (DevTools
    protocol `Autofill.trigger`, as when a user picks a saved address), until the field
    `filled` holds a value. Chromium parses a changed form on its own schedule, so the
    trigger is repeated until then (at most 10 s)."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    field = cdp.send("DOM.describeNode", {"nodeId": node})["node"]["backendNodeId"]

    def done() -> bool:
        if not page.evaluate("s => document.querySelector(s).value", filled):
            cdp.send("Autofill.trigger", {"fieldId": field, "address": ADDRESS})
        return bool(page.evaluate("s => document.querySelector(s).value", filled))

    wait_until(done, 10, f"autofill to fill {filled}", interval=0.2)


def test_autofill_never_fills_the_spam_trap_and_the_report_arrives(preview: Any, site_root: Path,
                                                                   page: Any) -> None:
    # GIVEN a control: the same form with its trap moved off-screen, named and labelled like a
    # company field (autocomplete="off" kept: Chromium ignores it for addresses)
    page.goto(preview.base + "/bz/en/")
    page.evaluate("""() => { const hp = document.querySelector('.hp'), t = document.getElementById('trap');
        hp.hidden = false; hp.style.cssText = 'position:absolute;inset-inline-start:-9999px';
        const label = hp.querySelector('label'); label.textContent = 'Company'; label.htmlFor = 'company';
        t.name = 'company'; t.id = 'company'; }""")
    _autofill(page, "#email", filled="#company")
    # THEN autofill fills such a trap (so this test can tell a bad trap from a good one)
    assert page.evaluate(_VALUES)["company"] == "Acme"

    # GIVEN the real page and a reporter who lets autofill fill in a saved address
    marker = f"autofill-{uuid.uuid4().hex[:10]}"
    page.goto(preview.base + "/bz/en/")
    page.fill("#url", "example.com/autofill")
    page.fill("#notes", marker)
    _autofill(page, "#email", filled="#email")
    # THEN the email field took the address, and the trap stayed empty
    values = page.evaluate(_VALUES)
    assert values["email"] == "jo@example.org" and values["trap"] == ""
    trap = page.evaluate("() => { const t = document.getElementById('trap'); return [t.autocomplete, t.tabIndex,"
                         " t.closest('.hp').hidden, getComputedStyle(t.closest('.hp')).display]; }")
    assert trap == ["off", -1, True, "none"]
    # AND the report, sent, is stored (a filled trap would have been thanked and dropped)
    page.click("button[type=submit]")
    page.wait_for_url("**/bz/en/thanks/")
    report = inbox_report(site_root, marker)
    assert report["email"] == "jo@example.org" and report["urls"][0]["normalized"] == "https://example.com/autofill"


def test_on_a_360px_phone_the_line_for_a_child_in_danger_is_on_the_first_screen(preview: Any, site_root: Path,
                                                                                browser: Any) -> None:
    # GIVEN a 360 x 640 phone screen
    context = browser.new_context(viewport={"width": 360, "height": 640}, device_scale_factor=2, is_mobile=True)
    phone = context.new_page()
    checked = 0
    try:
        for portal in load_config(site_root / "sites").portals:
            for lang in portal_languages(portal):
                # WHEN any report page opens
                phone.goto(f"{preview.base}/{portal.code}/{lang}/")
                box = phone.evaluate("""() => { const u = document.querySelector('.urgent').getBoundingClientRect(),
                    f = document.querySelector('form').getBoundingClientRect(), a = document.querySelector('.urgent a');
                    return {bottom: u.bottom, formTop: f.top, link: a ? a.getBoundingClientRect().bottom : u.bottom}; }""")
                # THEN the danger box and its number are fully visible without scrolling, above the form
                where = f"/{portal.code}/{lang}/"
                assert box["link"] <= 640 and box["bottom"] <= 640, (where, box)
                assert box["bottom"] <= box["formTop"], (where, box)
                checked += 1
    finally:
        context.close()
    assert checked == sum(len(p.languages) for p in load_config(site_root / "sites").portals)
