"""The form contract (DESIGN.md "Form → function"): parsing and validation, no HTTP."""
from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from reportal.submit.form import (MAX_BODY_BYTES, MAX_PARSE_BYTES, InvalidReport, is_honeypot, parse_form,
                                  validate_report)

SITE = {"bz": {"languages": ["en", "es"]}, "eg": {"languages": ["ar", "en"]}}
FORM = "application/x-www-form-urlencoded"


def _codes(exc: pytest.ExceptionInfo[InvalidReport]) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in exc.value.errors]


def _fields(**extra: list[str]) -> dict[str, list[str]]:
    return {"portal": ["bz"], "lang": ["en"], "url": ["https://example.com/a"], **extra}


def test_repeated_urls_keep_their_order_and_empty_ones_are_dropped() -> None:
    body = urlencode([("portal", "bz"), ("lang", "en"), ("url", "b.example"), ("url", ""),
                      ("url", "  "), ("url", "a.example")]).encode()
    report = validate_report(parse_form(body, FORM), SITE)
    assert [u["normalized"] for u in report.urls] == ["https://b.example/", "https://a.example/"]


def test_ten_urls_are_accepted_and_eleven_are_refused() -> None:
    ten = [f"site{i}.example" for i in range(10)]
    assert len(validate_report(_fields(url=ten + ["", ""]), SITE).urls) == 10
    with pytest.raises(InvalidReport) as caught:
        validate_report(_fields(url=ten + ["site10.example"]), SITE)
    assert _codes(caught) == [("url", "url-too-many")]
    assert caught.value.errors[0].index == 10


def test_notes_limit_is_5000_code_points_and_a_crlf_counts_as_one() -> None:
    assert validate_report(_fields(notes=["😀" * 5000]), SITE).notes == "😀" * 5000
    # A textarea's maxlength counts "\n"; the browser sends "\r\n": 2,500 line breaks fit.
    assert validate_report(_fields(notes=["a\r\n" * 2500]), SITE).notes == "a\r\n" * 2500
    with pytest.raises(InvalidReport) as caught:
        validate_report(_fields(notes=["x" * 5001]), SITE)
    assert _codes(caught) == [("notes", "notes-too-long")]


def test_url_of_8192_code_points_is_accepted_8193_refused_with_its_index() -> None:
    long = "https://example.com/" + "é" * (8192 - 20)
    assert validate_report(_fields(url=[long]), SITE).urls[0]["typed"] == long
    with pytest.raises(InvalidReport) as caught:
        validate_report(_fields(url=["a.example", long + "x"]), SITE)
    assert _codes(caught) == [("url", "url-too-long")]
    assert caught.value.errors[0].index == 1


def test_every_bad_field_is_reported_at_once_in_form_order() -> None:
    with pytest.raises(InvalidReport) as caught:
        validate_report({"portal": ["bz"], "lang": ["fr"], "url": ["javascript:alert(1)"],
                         "kind": ["photo"], "email": ["not an email"], "referrer": ["data:x"]}, SITE)
    assert _codes(caught) == [("lang", "lang-unknown"), ("url", "url-scheme"), ("kind", "kind-invalid"),
                              ("referrer", "url-scheme"), ("email", "email-invalid")]


@pytest.mark.parametrize("typed", [
    "a WhatsApp group", "Telegram: @channelname", "WhatsApp group: Friends 2024", "Note: from a friend",
    "@channelname", "example.org/x", "hxxps://bad[.]example/", "Data: from a friend",
])
def test_a_referrer_is_kept_exactly_as_typed_only_trimmed(typed: str) -> None:
    # GIVEN a referrer that is text or an address WHEN validated THEN it is stored as typed, never rewritten
    assert validate_report(_fields(referrer=[f"  {typed}\u200b "]), SITE).referrer == typed


@pytest.mark.parametrize("typed", ["javascript:alert(1)", "javascript&colon;alert(1)", "data:text/html,x",
                                   " JAVA\tSCRIPT :x", "file:///etc/passwd"])
def test_a_referrer_with_an_active_scheme_is_refused(typed: str) -> None:
    with pytest.raises(InvalidReport) as caught:
        validate_report(_fields(referrer=[typed]), SITE)
    assert _codes(caught) == [("referrer", "url-scheme")]


def test_an_over_long_referrer_is_refused_8192_accepted() -> None:
    assert validate_report(_fields(referrer=["r" * 8192]), SITE).referrer == "r" * 8192
    with pytest.raises(InvalidReport) as caught:
        validate_report(_fields(referrer=["r" * 8193]), SITE)
    assert _codes(caught) == [("referrer", "url-too-long")]


def test_honeypot_is_flagged_not_refused() -> None:
    # GIVEN a form whose hidden trap field a bot filled WHEN checked THEN it is flagged, not refused
    assert is_honeypot(_fields(trap=["http://spam.example"])) is True
    assert validate_report(_fields(trap=["http://spam.example"]), SITE).urls[0]["normalized"] == "https://example.com/a"
    assert is_honeypot(_fields(trap=["", " \u200b"])) is False


def test_invalid_utf8_becomes_replacement_characters() -> None:
    fields = parse_form(b"portal=bz&lang=en&url=a.example&notes=%ED%A0%80%FF", FORM)
    assert fields["notes"] == ["\ufffd\ufffd\ufffd\ufffd"]


def test_declared_charset_is_honoured() -> None:
    fields = parse_form(b"notes=caf%E9&url=a.example", FORM + "; charset=windows-1252")
    assert fields["notes"] == ["café"]


@pytest.mark.parametrize("charset", ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri", "utf-16", "utf-32",
                                     "cp037", "idna", "undefined", "unicode_escape", "raw_unicode_escape", "bogus"])
def test_a_charset_that_cannot_read_a_form_is_ignored_for_utf8(charset: str) -> None:
    # GIVEN a codec that is no ASCII-compatible text encoding WHEN parsing THEN the body is read as UTF-8
    body = b"portal=bz&lang=en&url=a.example&notes=caf%C3%A9+%5Cu0041"
    assert parse_form(body, f"{FORM}; charset={charset}") == {
        "portal": ["bz"], "lang": ["en"], "url": ["a.example"], "notes": ["café \\u0041"]}


def test_json_lone_surrogate_becomes_replacement_character() -> None:
    fields = parse_form(b'{"notes": "abc\\ud800", "url": "a.example"}', "application/json")
    assert fields == {"notes": ["abc\ufffd"], "url": ["a.example"]}


def test_json_unknown_keys_are_ignored_and_wrong_types_named() -> None:
    body = json.dumps({"url": ["a.example"], "surprise": {"x": 1}, "notes": 5, "kind": None}).encode()
    with pytest.raises(InvalidReport) as caught:
        parse_form(body, "application/json")
    assert _codes(caught) == [("notes", "field-type")]
    assert parse_form(b'\xef\xbb\xbf{"url": "a.example", "x": [1]}', "application/json") == {"url": ["a.example"]}


@pytest.mark.parametrize(("body", "code"), [
    (b"[1]", "body-invalid"), (b"not json", "body-invalid"), (b'"text"', "body-invalid"),
    (b"[" * 30_000 + b"]" * 30_000, "body-invalid"),        # nested deeper than the stack: no crash
    (b"[" * 100_000 + b"]" * 100_000, "body-too-large"),    # over the cap: its size is what is wrong
])
def test_json_that_is_not_an_object_is_refused_with_one_code(body: bytes, code: str) -> None:
    with pytest.raises(InvalidReport) as caught:
        parse_form(body, "application/json")
    assert _codes(caught) == [("body", code)]


def test_body_cap_is_64_kib_and_what_was_typed_is_kept() -> None:
    fill = "n" * (MAX_BODY_BYTES - len("url=a.example&notes="))
    assert parse_form(f"url=a.example&notes={fill}".encode(), FORM)["notes"] == [fill]
    with pytest.raises(InvalidReport) as caught:
        parse_form(f"url=a.example&notes={fill}x".encode(), FORM)
    assert _codes(caught) == [("body", "body-too-large")]
    assert caught.value.fields["url"] == ["a.example"]


def test_other_media_types_are_refused() -> None:
    with pytest.raises(InvalidReport) as caught:
        parse_form(b"--x\r\n", "multipart/form-data; boundary=x")
    assert _codes(caught) == [("body", "body-type")]
    assert parse_form(b"url=a.example", "") == {"url": ["a.example"]}  # no type: a plain form


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", b"portal=bz\r\nlang=es\r\nurl=a.example\r\n"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="portal"\r\n\r\nbz\r\n'
                                        b'--x\r\nContent-Disposition: form-data; name="lang"\r\n\r\nes\r\n--x--\r\n'),
    ("application/xml", b"<portal>bz</portal>"),
])
def test_another_media_type_keeps_the_portal_and_language_it_names(content_type: str, body: bytes) -> None:
    # GIVEN a body the function does not parse WHEN refused THEN portal and lang are read from its start
    with pytest.raises(InvalidReport) as caught:
        parse_form(body, content_type)
    assert _codes(caught) == [("body", "body-type")]
    expected = {} if content_type == "application/xml" else {"portal": ["bz"], "lang": ["es"]}
    assert caught.value.fields == expected


def test_a_body_too_large_to_parse_keeps_the_portal_and_language() -> None:
    body = b"portal=bz&lang=es&url=a.example&notes=" + b"n" * MAX_PARSE_BYTES
    with pytest.raises(InvalidReport) as caught:
        parse_form(body, FORM)
    assert _codes(caught) == [("body", "body-too-large")]
    assert caught.value.fields == {"portal": ["bz"], "lang": ["es"]}


def test_a_form_within_every_maxlength_but_over_the_cap_is_given_back_whole() -> None:
    # GIVEN 10 URLs of 8,192 non-ASCII characters (each 6 bytes percent-encoded): about 960 KB
    urls = ["example.com/" + "é" * (8192 - 12) for _ in range(10)]
    body = urlencode([("portal", "bz"), ("lang", "es")] + [("url", u) for u in urls]).encode()
    assert MAX_BODY_BYTES < len(body) <= MAX_PARSE_BYTES
    with pytest.raises(InvalidReport) as caught:
        parse_form(body, FORM)
    # THEN it is too large for the queue, but every URL comes back whole
    assert _codes(caught) == [("body", "body-too-large")]
    assert caught.value.fields["url"] == urls
