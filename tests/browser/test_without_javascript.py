"""Reporting with JavaScript off (Tor Browser's safest mode): fill the form, send it, land on
the thanks page, and find the report in the analysts' inbox; a bad URL brings back the
form with every error linked to its field and everything typed still there."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from tests.browser.browser_support import inbox_report
from tests.support import ROOT


def _es(message: str) -> str:
    """The Spanish catalog's translation of `message` (the English source text)."""
    with (ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        translated = read_po(po, locale="es")[message].string
    assert translated, f"{message!r} is not translated into Spanish"
    return translated


def _send(page: Any) -> Any:
    """Press the form's submit button; return the navigation's response."""
    with page.expect_navigation() as navigation:
        page.locator("form button[type=submit]").click()
    return navigation.value


def test_spanish_report_without_javascript_reaches_the_inbox(preview: Any, site_root: Path, nojs_page: Any) -> None:
    # GIVEN the Belize portal in Spanish, with scripts disabled
    page, marker = nojs_page, f"marca-{uuid.uuid4().hex[:10]}"
    page.goto(preview.base + "/bz/es/")
    assert page.evaluate("document.documentElement.lang") == "es"
    # WHEN a reporter pastes a defanged address, picks "videos", writes a note and sends
    page.fill("#url", " hxxps://ejemplo[.]com/galería?id=1 ")
    page.check("#kind-video")
    page.fill("#notes", f"Los vídeos están al final de la página «álbum». {marker}")
    answer = _send(page)
    # THEN the thanks page in Spanish, after a 303 from the function
    assert answer.status == 200 and answer.request.redirected_from is not None
    assert answer.request.redirected_from.response().status == 303
    assert page.url == preview.base + "/bz/es/thanks/"
    assert page.locator("h1").inner_text() == _es("Thank you. Your report was received.")
    # AND the analysts' inbox holds exactly what was typed
    report = inbox_report(site_root, marker)
    assert (report["portal"], report["lang"], report["kind"]) == ("bz", "es", "video")
    assert report["urls"] == [{"typed": "hxxps://ejemplo[.]com/galería?id=1",
                               "normalized": "https://ejemplo.com/galería?id=1"}]
    assert report["notes"] == f"Los vídeos están al final de la página «álbum». {marker}"
    assert report["email"] in (None, "")


def test_right_to_left_report_without_javascript_reaches_the_inbox(preview: Any, site_root: Path,
                                                                   nojs_page: Any) -> None:
    # GIVEN the Pakistan portal in Urdu, laid out right to left, with scripts disabled
    page, marker = nojs_page, f"نشان-{uuid.uuid4().hex[:10]}"
    page.goto(preview.base + "/pk/ur/")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ur", "rtl"]
    width = page.viewport_size["width"]
    heading = page.locator("h1").bounding_box()
    assert heading["x"] + heading["width"] > width / 2  # text starts on the right
    assert page.locator("#url").evaluate("e => getComputedStyle(e).direction") == "ltr"  # URLs read left to right
    # WHEN a reporter types an address and a note in Urdu and sends
    page.fill("#url", "example.pk/تصاویر")
    page.check("#kind-image")
    page.fill("#notes", f"تصاویر صفحے کے نیچے ہیں {marker}")
    _send(page)
    # THEN the Urdu thanks page, and the report in the inbox as typed
    assert page.url == preview.base + "/pk/ur/thanks/"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    report = inbox_report(site_root, marker)
    assert (report["portal"], report["lang"], report["kind"]) == ("pk", "ur", "image")
    assert report["urls"][0]["typed"] == "example.pk/تصاویر"
    assert report["notes"] == f"تصاویر صفحے کے نیچے ہیں {marker}"


def test_bad_url_without_javascript_keeps_the_input_and_links_each_error(preview: Any, site_root: Path,
                                                                         nojs_page: Any) -> None:
    # GIVEN the Spanish form with an active-content "address", a good second one, notes and a bad email
    page, marker = nojs_page, f"marca-{uuid.uuid4().hex[:10]}"
    page.goto(preview.base + "/bz/es/")
    notes = f"Línea uno\nLínea dos <b>no es HTML</b> {marker}"
    page.fill("#url", "javascript:alert(document.cookie)")
    page.fill("#url-2", "ejemplo.org/otra")
    page.check("#kind-website")
    page.fill("#notes", notes)
    page.fill("#email", "esto no es correo")
    # WHEN it is sent
    answer = _send(page)
    # THEN a 400 page in Spanish, private like every page
    assert answer.status == 400
    headers = answer.all_headers()
    assert headers["referrer-policy"] == "no-referrer" and "set-cookie" not in headers
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.title().startswith(_es("Error:"))
    # AND everything typed is still in the form, unchanged
    assert page.input_value("#url") == "javascript:alert(document.cookie)"
    assert page.input_value("#url-2") == "ejemplo.org/otra"
    assert page.is_checked("#kind-website")
    assert page.input_value("#notes") == notes
    assert page.input_value("#email") == "esto no es correo"
    # AND the errors are announced (role=alert) and each links to its field, which describes it
    alert = page.locator("[role=alert]")
    assert alert.count() == 1
    assert _es("Please correct the following") in alert.inner_text()
    links = alert.locator("a")
    targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert targets == ["#url", "#email"]
    for i, target in enumerate(targets):
        field = page.locator(target)
        assert field.get_attribute("aria-invalid") == "true"
        described = " ".join(page.locator(f"#{ref}").inner_text()
                             for ref in field.get_attribute("aria-describedby").split())
        assert links.nth(i).inner_text() in described
    # AND following an error's link with the keyboard puts focus in that field
    links.nth(1).focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "email"
    # AND nothing of this report reached the queue; correcting the address and sending works
    page.fill("#url", "ejemplo.org/bien")
    page.fill("#email", "")
    _send(page)
    assert page.url == preview.base + "/bz/es/thanks/"
    report = inbox_report(site_root, marker)
    assert [u["normalized"] for u in report["urls"]] == ["https://ejemplo.org/bien", "https://ejemplo.org/otra"]
    assert report["kind"] == "website"
    assert report["notes"] == notes.replace("\n", "\r\n")  # a form submits line breaks as CRLF (HTML)
