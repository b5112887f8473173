"""The submission function end to end in-process: GIVEN an event WHEN handled THEN the answer,
the queue and the metrics are as DESIGN.md promises. Events live in tests/events/."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support import form_event
from tests.support import queued_reports


def _fields(**extra: Any) -> list[tuple[str, str]]:
    base = [("portal", "bz"), ("lang", "en"), ("url", "https://example.com/page"), ("trap", "")]
    for name, value in extra.items():
        base += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return base


def _json_event(data: dict[str, Any], **headers: str) -> dict[str, Any]:
    return form_event([], raw=json.dumps(data).encode(), headers={"content-type": "application/json", **headers})


def _emf(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith('{"_aws"')]


def test_origin_null_plain_urlencoded_report_is_thanked(handler, event_named, sqs, queue_url, identity_file) -> None:
    event = event_named("origin-null-urlencoded")
    assert "referer" not in event["headers"] and event["headers"]["origin"] == "null"
    answer = handler(event, None)
    assert answer["statusCode"] == 303
    assert answer["headers"]["Location"] == "/bz/en/thanks/"
    assert answer["headers"]["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in answer["headers"] and not answer.get("cookies")
    [report] = queued_reports(sqs, queue_url, identity_file)
    assert report["urls"] == [{"typed": "https://example.com/page", "normalized": "https://example.com/page"}]
    assert (report["kind"], report["notes"], report["email"]) == ("image", None, None)


def test_unicode_notes_survive_seal_and_open_unchanged(handler, event_named, sqs, queue_url, identity_file) -> None:
    assert handler(event_named("unicode-notes-base64"), None)["statusCode"] == 303
    [report] = queued_reports(sqs, queue_url, identity_file)
    assert report["notes"] == "Gefunden: ö ü ß – تقرير – 報告 – 😀"
    assert report["lang"] == "es"


@pytest.mark.parametrize(("event", "notes"), [("json-lone-surrogate", "abc\ufffd"),
                                              ("invalid-utf8-notes", "\ufffd" * 4)])
def test_unreadable_text_is_accepted_with_replacement_characters(handler, event_named, sqs, queue_url,
                                                                 identity_file, event: str, notes: str) -> None:
    assert handler(event_named(event), None)["statusCode"] == 303
    [report] = queued_reports(sqs, queue_url, identity_file)
    assert report["notes"] == notes


def test_notes_of_5001_characters_are_refused_naming_the_limit(handler, sqs, queue_url, identity_file) -> None:
    answer = handler(form_event(_fields(notes="ü" * 5001)), None)
    assert answer["statusCode"] == 400
    assert "Your notes can be at most 5,000 characters long." in answer["body"]
    assert "ü" * 5001 + "</textarea>" in answer["body"]  # given back whole, never truncated
    assert queued_reports(sqs, queue_url, identity_file) == []
    assert handler(form_event(_fields(notes="ü" * 5000)), None)["statusCode"] == 303
    assert queued_reports(sqs, queue_url, identity_file)[0]["notes"] == "ü" * 5000


def test_pasted_and_defanged_urls_are_accepted_and_normalized(handler, sqs, queue_url, identity_file) -> None:
    typed = ["\u00a0 https://example.com/page \t\n", "www.example.com/page", "example.com",
             "hxxps://bad-site[.]example/img[.]jpg", "hxxp://203.0.113[.]7/x"]
    assert handler(form_event(_fields(url=typed)), None)["statusCode"] == 303
    [report] = queued_reports(sqs, queue_url, identity_file)
    assert [u["normalized"] for u in report["urls"]] == [
        "https://example.com/page", "https://example.com/page", "https://www.example.com/page",
        "https://example.com/", "https://bad-site.example/img.jpg", "http://203.0.113.7/x"]
    assert report["urls"][4]["typed"] == "hxxps://bad-site[.]example/img[.]jpg"


@pytest.mark.parametrize("typed", ["JavaScript:alert(1)", "java%09script:alert(1)", "%20javascript:alert(1)",
                                   "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x"])
def test_active_schemes_are_refused_with_give_a_web_address(handler, sqs, queue_url, identity_file,
                                                            typed: str) -> None:
    answer = handler(form_event([("portal", "bz"), ("lang", "en"), ("url", typed)]), None)
    assert answer["statusCode"] == 400
    assert "This is not a web address. Give a web address" in answer["body"]
    assert 'aria-invalid="true"' in answer["body"]
    assert handler(_json_event({"portal": "bz", "lang": "en", "url": typed}), None)["body"] == \
        '{"errors":[{"field":"url","code":"url-scheme"}]}'
    assert queued_reports(sqs, queue_url, identity_file) == []


def test_second_url_error_is_shown_at_the_second_input(handler) -> None:
    body = handler(form_event(_fields(url=["vbscript:x"])), None)["body"]
    assert '<a href="#url-2">' in body
    assert re.search(r'id="url-2-error">This is not a web address.*?<input id="url-2"[^>]*aria-invalid="true"'
                     r'[^>]*value="vbscript:x"', body, re.S)


def test_errors_are_in_the_reporters_language_and_right_to_left(handler) -> None:
    es = handler(form_event([("portal", "bz"), ("lang", "es"), ("url", ""), ("notes", "mis notas")]), None)
    assert es["statusCode"] == 400 and '<html lang="es"' in es["body"] and ">mis notas</textarea>" in es["body"]
    ar = handler(form_event([("portal", "eg"), ("lang", "ar"), ("url", "")]), None)
    assert ar["statusCode"] == 400 and '<html lang="ar" dir="rtl">' in ar["body"]


def test_an_unknown_language_is_explained_in_the_portals_default_language(handler) -> None:
    # GIVEN a form naming a language the Belize portal does not offer
    answer = handler(form_event([("portal", "bz"), ("lang", "fr"), ("url", "example.com/x"), ("notes", "keep me")]),
                     None)
    # THEN the 400 page is the English (default) report page, saying why, with the input kept
    assert answer["statusCode"] == 400
    assert '<html lang="en"' in answer["body"]
    assert "This language is not offered on this portal." in answer["body"]
    assert 'value="example.com/x"' in answer["body"] and ">keep me</textarea>" in answer["body"]
    assert '<input type="hidden" name="lang" value="en">' in answer["body"]


@pytest.mark.parametrize("typed", ["Telegram: @channelname", "WhatsApp group: Friends 2024", "Note: from a friend",
                                   "@channelname", "example.org/x"])
def test_an_honest_referrer_is_accepted_and_stored_as_typed(handler, sqs, queue_url, identity_file,
                                                            typed: str) -> None:
    assert handler(form_event(_fields(referrer=f" {typed} ")), None)["statusCode"] == 303
    assert queued_reports(sqs, queue_url, identity_file)[0]["referrer"] == typed


@pytest.mark.parametrize(("typed", "code"), [
    ("javascript&colon;alert(1)", "url-scheme"), ("javascript&#58;alert(1)", "url-scheme"),
    ("javascript&#x3A;alert(1)", "url-scheme"), ("@SUM(1+1)", "url-invalid"), ("-", "url-invalid"), ("a", "url-invalid")])
def test_urls_that_are_no_web_address_are_refused(handler, sqs, queue_url, identity_file, typed: str,
                                                  code: str) -> None:
    answer = handler(_json_event({"portal": "bz", "lang": "en", "url": typed}), None)
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"errors": [{"field": "url", "code": code}]}
    assert queued_reports(sqs, queue_url, identity_file) == []


def test_unknown_portal_is_400_in_english_with_what_was_typed(handler) -> None:
    answer = handler(form_event([("portal", "zz"), ("lang", "en"), ("url", "a.example/<b>")]), None)
    assert answer["statusCode"] == 400
    assert "This reporting portal does not exist" in answer["body"]
    assert "a.example/&lt;b&gt;" in answer["body"] and "<b>" not in answer["body"]
    assert json.loads(handler(_json_event({"portal": "zz", "url": "a.example"}), None)["body"]) == {
        "errors": [{"field": "portal", "code": "portal-unknown"}]}


def test_body_over_64_kib_is_400_with_input_kept(handler) -> None:
    answer = handler(form_event(_fields(notes="n" * 70_000)), None)
    assert answer["statusCode"] == 400
    assert "Your report is too long to send" in answer["body"]
    assert 'value="https://example.com/page"' in answer["body"]


def test_many_long_urls_over_the_cap_get_a_message_true_for_them(handler, sqs, queue_url, identity_file) -> None:
    # GIVEN 8 URLs of 8,192 characters and no notes (over the 64 KiB body cap)
    urls = [f"example.com/{i}/" + "a" * (8192 - 15) for i in range(8)]
    answer = handler(form_event([("portal", "bz"), ("lang", "en")] + [("url", u) for u in urls]), None)
    # THEN the page does not blame the notes, suggests a second report and gives every URL back
    assert answer["statusCode"] == 400
    assert ("Your report is too long to send. Please shorten it, or send some of the web addresses "
            "in a second report.") in answer["body"]
    assert "shorten your notes" not in answer["body"]
    assert all(f'value="{u}"' in answer["body"] for u in urls)
    assert queued_reports(sqs, queue_url, identity_file) == []
    es = handler(form_event([("portal", "bz"), ("lang", "es")] + [("url", u) for u in urls]), None)
    assert "o envíe algunas de las direcciones web en una segunda denuncia" in es["body"]


@pytest.mark.parametrize("charset", ["rot13", "base64", "hex", "zlib", "utf-16", "idna", "undefined"])
def test_a_bogus_charset_is_read_as_utf8_and_accepted(handler, sqs, queue_url, identity_file, charset: str) -> None:
    event = form_event(_fields(notes="café"), headers={"content-type": f"application/x-www-form-urlencoded; "
                                                                       f"charset={charset}"})
    assert handler(event, None)["statusCode"] == 303
    assert queued_reports(sqs, queue_url, identity_file)[0]["notes"] == "café"


@pytest.mark.parametrize(("content_type", "body"), [
    ("text/plain", b"portal=bz\r\nlang=es\r\nurl=example.com\r\nnotes=mis notas\r\n"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="portal"\r\n\r\nbz\r\n'
                                        b'--x\r\nContent-Disposition: form-data; name="lang"\r\n\r\nes\r\n--x--\r\n'),
])
def test_a_form_of_another_type_gets_a_400_in_the_reporters_language(handler, content_type: str, body: bytes) -> None:
    answer = handler(form_event([], raw=body, headers={"content-type": content_type}), None)
    assert answer["statusCode"] == 400
    assert '<html lang="es"' in answer["body"] and "No pudimos leer el formulario." in answer["body"]
    assert "does not exist" not in answer["body"]


def test_a_body_too_large_to_parse_gets_a_400_in_the_reporters_language(handler) -> None:
    body = b"portal=bz&lang=es&url=example.com&notes=" + b"n" * (1024 * 1024 + 1)
    answer = handler(form_event([], raw=body), None)
    assert answer["statusCode"] == 400
    assert '<html lang="es"' in answer["body"] and "Su denuncia es demasiado larga para enviarla." in answer["body"]


@pytest.mark.parametrize(("content_type", "body", "says"), [
    ("text/plain", b"hello", "We could not read the form"),
    ("application/x-www-form-urlencoded", b"url=example.com&notes=" + b"n" * (1024 * 1024 + 1),
     "Your report is too long to send. Please shorten it"),
])
def test_without_a_portal_the_english_page_says_what_went_wrong(handler, content_type: str, body: bytes,
                                                                says: str) -> None:
    answer = handler(form_event([], raw=body, headers={"content-type": content_type}), None)
    assert answer["statusCode"] == 400
    assert says in answer["body"] and "does not exist" not in answer["body"]
    assert '<a href="/">Choose your country</a>' in answer["body"]


def test_an_unexpected_error_before_parsing_says_not_received_not_no_portal(handler, monkeypatch) -> None:
    import reportal.submit.app as app

    def crash(*args: Any) -> None:
        raise LookupError("boom")

    monkeypatch.setattr(app, "parse_form", crash)
    answer = handler(form_event(_fields()), None)
    assert answer["statusCode"] == 503
    assert "Your report was not received" in answer["body"] and "does not exist" not in answer["body"]


def test_honeypot_is_thanked_counted_and_nothing_sent(handler, sqs, queue_url, identity_file, capsys) -> None:
    answer = handler(form_event(_fields(trap="http://spam.example")), None)
    assert answer["statusCode"] == 303 and answer["headers"]["Location"] == "/bz/en/thanks/"
    assert queued_reports(sqs, queue_url, identity_file) == []
    [line] = _emf(capsys.readouterr().out)
    assert line["HoneypotFilled"] == [1.0] and line["service"] == "reportal-submit"


def test_metrics_count_outcomes_by_reason_without_values(handler, monkeypatch, sqs, capsys) -> None:
    handler(form_event(_fields(notes="SENTINEL-N")), None)
    handler(form_event(_fields(url=["vbscript:SENTINEL-U"], notes="x" * 5001)), None)
    monkeypatch.setattr(sqs, "send_message", lambda **kw: {})  # no MessageId: not acknowledged
    handler(form_event(_fields(notes="SENTINEL-N")), None)
    out = capsys.readouterr().out
    seen = sorted((name, line.get("reason", "")) for line in _emf(out)
                  for name in ("ReportAccepted", "ReportRejected", "QueueFailure") if name in line)
    assert seen == [("QueueFailure", "QueueUnavailable"), ("ReportAccepted", ""), ("ReportRejected", ""),
                    ("ReportRejected", "notes-too-long"), ("ReportRejected", "url-scheme")]
    for line in _emf(out):
        assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Reportal"
        assert set(line) - {"_aws"} <= {"service", "reason", "ReportAccepted", "ReportRejected", "QueueFailure"}
    assert "SENTINEL" not in out


def _handler_with(settings_changes: dict[str, Any], built: dict[str, Path], identity_file: Path, sqs: Any,
                  queue_url: str) -> Any:
    from reportal.envelope import recipient_of
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    return make_handler(Settings(queue_url=queue_url, recipients=(recipient_of(identity_file),),
                                 data_dir=built["function"], **settings_changes), sqs)


def test_origin_secret_header_is_required_when_configured(built, identity_file, sqs, queue_url) -> None:
    handler = _handler_with({"origin_secret": "s3cr3t"}, built, identity_file, sqs, queue_url)
    assert handler(form_event(_fields()), None)["statusCode"] == 403
    assert handler(form_event(_fields(), headers={"x-reportal-origin": "wrong"}), None)["statusCode"] == 403
    assert handler(form_event(_fields(), headers={"x-reportal-origin": "s3cr3t"}), None)["statusCode"] == 303


def test_only_null_no_origin_or_an_allowed_origin_may_post(built, identity_file, sqs, queue_url) -> None:
    handler = _handler_with({"allowed_origins": frozenset({"https://report.example"})}, built, identity_file,
                            sqs, queue_url)
    for origin in ("null", "", "https://report.example", "https://REPORT.example:443"):
        assert handler(form_event(_fields(), headers={"origin": origin}), None)["statusCode"] == 303, origin
    refused = handler(form_event(_fields(notes="keep"), headers={"origin": "https://evil.example"}), None)
    assert refused["statusCode"] == 403
    assert "This form was sent from another website" in refused["body"] and ">keep</textarea>" in refused["body"]
    # A list, a bad port, another scheme or garbage is no "null": refused, not taken for no origin.
    for junk in ("null, https://evil.com", "https://evil.com:99999", "chrome-extension://abc", "garbage",
                 "https://report.example:99999"):
        assert handler(form_event(_fields(), headers={"origin": junk}), None)["statusCode"] == 403, junk
    # Without allowed_origins nothing is refused for its Origin.
    open_handler = _handler_with({}, built, identity_file, sqs, queue_url)
    assert open_handler(form_event(_fields(), headers={"origin": "garbage"}), None)["statusCode"] == 303


def test_queue_down_is_503_with_input_kept_and_nothing_acknowledged(built, identity_file) -> None:
    import boto3
    from botocore.config import Config
    from moto.server import ThreadedMotoServer

    from reportal.local_aws import create_queues

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    sqs = boto3.client("sqs", region_name="eu-west-2", endpoint_url=f"http://{host}:{port}",
                       config=Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1}))
    queue_url = create_queues(sqs, "down-test")
    handler = _handler_with({}, built, identity_file, sqs, queue_url)
    assert handler(form_event(_fields()), None)["statusCode"] == 303  # up: accepted
    server.stop()
    answer = handler(form_event(_fields(notes="still here")), None)
    assert answer["statusCode"] == 503
    assert "Your report was not received" in answer["body"]
    assert ">still here</textarea>" in answer["body"] and 'value="https://example.com/page"' in answer["body"]
    assert "Location" not in answer["headers"]


def test_sealing_failure_and_unexpected_errors_are_503_never_500(handler, monkeypatch, sqs, queue_url,
                                                                identity_file) -> None:
    import reportal.submit.app as app
    from reportal.envelope import EnvelopeError

    def broken_seal(*args: Any) -> str:
        raise EnvelopeError("sealing failed")

    monkeypatch.setattr(app, "seal", broken_seal)
    sealed = handler(form_event(_fields(notes="mine")), None)
    assert sealed["statusCode"] == 503 and ">mine</textarea>" in sealed["body"]

    def crash(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "validate_report", crash)
    crashed = handler(form_event(_fields(notes="mine too")), None)
    assert crashed["statusCode"] == 503 and ">mine too</textarea>" in crashed["body"]
    assert json.loads(handler(_json_event({"portal": "bz"}), None)["body"])["errors"][0]["code"] == "unavailable"
    assert queued_reports(sqs, queue_url, identity_file) == []


@pytest.mark.parametrize("event", [
    {}, {"version": "2.0"}, {"requestContext": {"http": {"method": "POST"}}, "rawPath": "/submit"},
    {"version": "2.0", "rawPath": "/submit", "requestContext": {"http": {"method": "POST", "path": "/submit"}},
     "headers": ["not", "a", "dict"], "body": 5, "isBase64Encoded": True},
])
def test_malformed_events_are_answered_not_raised(handler, event: dict[str, Any]) -> None:
    assert handler(event, None)["statusCode"] == 400


@pytest.mark.parametrize("method", ["GET", "BREW", "PROPFIND"])
def test_other_methods_and_paths_are_4xx(handler, method: str) -> None:
    event = form_event(_fields())
    event["requestContext"]["http"]["method"] = method
    answer = handler(event, None)
    assert (answer["statusCode"], answer["headers"]["Allow"]) == (405, "POST")
    event = form_event(_fields())
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/other"
    assert handler(event, None)["statusCode"] == 404


def test_json_clients_get_every_field_code(handler) -> None:
    answer = handler(_json_event({"portal": "bz", "lang": "en", "url": ["a.example", "file:///x"],
                                  "notes": "x" * 5001, "email": "nope"}), None)
    assert answer["statusCode"] == 400 and answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {"errors": [
        {"field": "url", "code": "url-scheme"}, {"field": "notes", "code": "notes-too-long"},
        {"field": "email", "code": "email-invalid"}]}
    urlencoded_again = urlencode({"portal": "bz"})  # the same contract through a form
    assert handler(form_event([], raw=urlencoded_again.encode()), None)["statusCode"] == 400


def test_an_envelope_too_large_for_the_queue_is_a_clear_400_not_a_503(handler, sqs, queue_url, monkeypatch) -> None:
    # GIVEN sealing finds the message larger than the queue's MaximumMessageSize
    from reportal.envelope import EnvelopeTooLarge
    from reportal.submit import app as app_module

    def too_large(*args, **kwargs):
        raise EnvelopeTooLarge(2_000_000, 1_048_576)

    monkeypatch.setattr(app_module, "seal", too_large)
    # WHEN a JSON client sends a report
    event = form_event([], raw=json.dumps({"portal": "bz", "lang": "es", "url": "example.com"}).encode(),
                       headers={"content-type": "application/json"})
    answer = handler(event, None)
    # THEN it is told the report is too long (retrying would not help), and nothing was queued
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"errors": [{"field": "body", "code": "body-too-large"}]}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url)



@pytest.mark.parametrize(("content_type", "as_json"), [
    ("application/json", True), ("Application/JSON ; charset=utf-8", True),
    ("application/x-www-form-urlencoded", False), ("", False),
])
def test_one_rule_decides_json_or_html_for_every_error(handler, monkeypatch, content_type: str, as_json: bool) -> None:
    import reportal.submit.app as app
    from reportal.envelope import EnvelopeError

    fields = {"portal": "bz", "lang": "en", "url": "javascript:x"}
    body = json.dumps(fields).encode() if as_json else urlencode(fields).encode()

    def post() -> dict[str, Any]:
        return handler(form_event([], raw=body, headers={"content-type": content_type}), None)

    def fail(*args: Any) -> None:
        raise EnvelopeError("sealing failed")

    # GIVEN a refused report, a sealing failure and an unexpected error, each sent as `content_type`
    refused = post()
    monkeypatch.setattr(app, "validate_report", lambda fields, site: type("R", (), {"as_envelope": dict})())
    monkeypatch.setattr(app, "seal", fail)
    lost = post()
    monkeypatch.setattr(app, "seal", lambda *args: 1 / 0)
    crashed = post()
    # THEN each answer is JSON exactly when the request was (its media type, parameters aside)
    answers = [(refused, 400), (lost, 503), (crashed, 503)]
    for answer, status in answers:
        assert answer["statusCode"] == status
        assert answer["headers"]["Content-Type"].split(";")[0] == ("application/json" if as_json else "text/html")
    if as_json:
        assert [json.loads(a["body"])["errors"][0]["code"] for a, _ in answers] == [
            "url-scheme", "queue-unavailable", "unavailable"]
