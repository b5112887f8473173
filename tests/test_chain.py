"""The walking skeleton end to end: build, handler, envelope, drain, logs."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support import form_event


def test_build_renders_both_languages_of_belize(built: dict[str, Path]) -> None:
    dist = built["dist"]
    es = (dist / "bz" / "es" / "index.html").read_text(encoding="utf-8")
    en = (dist / "bz" / "en" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="es" dir="ltr">' in es
    assert '<html lang="en" dir="ltr">' in en
    assert '<input type="hidden" name="lang" value="es">' in es
    assert '<meta name="referrer" content="no-referrer">' in es
    assert "Belice" in es and "Belize" in en  # country names from CLDR
    assert "<h1>Denuncie imágenes y vídeos de abuso sexual infantil</h1>" in es  # es catalog
    assert "<h1>Report child sexual abuse images and videos</h1>" in en
    for page in ("thanks/index.html", "privacy/index.html", "help/index.html", "404.html"):
        assert (dist / "bz" / "es" / page).is_file()
    assert (dist / "bz" / "index.html").read_bytes() == (dist / "bz" / "en" / "index.html").read_bytes()
    assert 'href="/bz/"' in (dist / "index.html").read_text(encoding="utf-8")


def _report_fields(**extra: str) -> list[tuple[str, str]]:
    fields = [("portal", "bz"), ("lang", "es"), ("url", "https://example.com/page"), ("url", ""),
              ("notes", "detrás de un login"), ("trap", "")]
    return fields + list(extra.items())


def _messages(sqs: Any, queue_url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                               MessageAttributeNames=["All"]).get("Messages", [])


def test_plain_body_is_sealed_queued_and_redirected(handler, sqs, queue_url, identity_file) -> None:
    from reportal.envelope import load_identities, open_envelope

    answer = handler(form_event(_report_fields(), base64_body=False, headers={"origin": "null"}), None)
    assert answer["statusCode"] == 303
    assert answer["headers"]["Location"] == "/bz/es/thanks/"
    [message] = _messages(sqs, queue_url)
    assert "example.com" not in message["Body"] and "login" not in message["Body"]
    assert message["MessageAttributes"] == {"v": {"StringValue": "1", "DataType": "String"}}
    report = open_envelope(message["Body"], load_identities(identity_file))
    assert report["portal"] == "bz" and report["lang"] == "es"
    assert report["urls"] == [{"typed": "https://example.com/page", "normalized": "https://example.com/page"}]
    assert report["notes"] == "detrás de un login"


def test_base64_body_is_accepted(handler, sqs, queue_url) -> None:
    answer = handler(form_event(_report_fields(), base64_body=True), None)
    assert answer["statusCode"] == 303
    assert len(_messages(sqs, queue_url)) == 1


def test_missing_url_is_400_in_spanish_with_input_kept(handler, sqs, queue_url) -> None:
    fields = [("portal", "bz"), ("lang", "es"), ("url", "  "), ("notes", "mis notas")]
    answer = handler(form_event(fields), None)
    assert answer["statusCode"] == 400
    assert answer["headers"]["Content-Type"].startswith("text/html")
    body = answer["body"]
    assert '<html lang="es"' in body
    assert '<a href="#url">Indique la dirección web donde vio las imágenes.</a>' in body
    assert ">mis notas</textarea>" in body
    assert _messages(sqs, queue_url) == []


def test_json_client_gets_field_codes(handler) -> None:
    event = form_event([], raw=json.dumps({"portal": "bz", "lang": "es", "url": ["javascript:alert(1)"]}).encode(),
                       headers={"content-type": "application/json"})
    answer = handler(event, None)
    assert answer["statusCode"] == 400
    assert json.loads(answer["body"]) == {"errors": [{"field": "url", "code": "url-scheme"}]}


def test_seal_open_round_trip_with_two_recipients(tmp_path) -> None:
    from reportal.envelope import PAD_BYTES, generate_identity, load_identities, open_envelope, parse_recipients, seal

    analyst = generate_identity(tmp_path / "analyst.key")
    escrow = generate_identity(tmp_path / "escrow.key")
    report = {"report_id": "r1", "notes": "Gefunden: ö ü ß – تقرير – 報告 – 😀"}
    body = seal(report, parse_recipients([analyst, escrow]))
    assert body.isascii()
    for key in ("analyst.key", "escrow.key"):
        assert open_envelope(body, load_identities(tmp_path / key)) == report
    import base64

    sealed = base64.b64decode(body)
    assert sealed.startswith(b"age-encryption.org/v1\n")
    assert (tmp_path / "analyst.key").stat().st_mode & 0o777 == 0o600
    assert PAD_BYTES == 1024


def test_age_cli_opens_the_queued_envelope(handler, sqs, queue_url, identity_file, tmp_path) -> None:
    import base64

    handler(form_event(_report_fields()), None)
    [message] = _messages(sqs, queue_url)
    sealed = tmp_path / "envelope.age"
    sealed.write_bytes(base64.b64decode(message["Body"]))
    plaintext = subprocess.run(["age", "-d", "-i", str(identity_file), str(sealed)],
                               check=True, capture_output=True).stdout
    assert len(plaintext) % 1024 == 0
    assert json.loads(plaintext)["urls"][0]["normalized"] == "https://example.com/page"


def test_drain_stores_then_deletes(handler, sqs, queue_url, identity_file, tmp_path) -> None:
    from reportal.envelope import load_identities
    from reportal.inbox.drain import drain
    from reportal.inbox.store import Store

    for _ in range(3):
        assert handler(form_event(_report_fields()), None)["statusCode"] == 303
    store = Store(tmp_path / "inbox.sqlite")
    stats = drain(sqs, queue_url, load_identities(identity_file), store, once=True, wait_seconds=0)
    assert (stats.received, stats.stored, stats.unopened) == (3, 3, 0)
    reports = store.list()
    assert [r["portal"] for r in reports] == ["bz"] * 3
    assert reports[0]["urls"][0]["normalized"] == "https://example.com/page"
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_logs_hold_no_field_value_on_any_path(handler, sqs, queue_url, all_logs, monkeypatch) -> None:
    sentinel = "SENTINEL7731"
    fields = [("portal", "bz"), ("lang", "es"), ("url", f"https://{sentinel}.example/x"),
              ("notes", sentinel), ("email", f"{sentinel}@example.org"), ("referrer", f"{sentinel}.example")]
    headers = {"user-agent": sentinel, "x-forwarded-for": sentinel, "origin": "null"}
    ok = handler(form_event(fields, headers=headers), None)
    bad = handler(form_event(fields + [("kind", sentinel)], headers=headers), None)

    def refuse(**kwargs: Any) -> None:
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url=f"https://{sentinel}")

    monkeypatch.setattr(sqs, "send_message", refuse)
    down = handler(form_event(fields, headers=headers), None)
    assert (ok["statusCode"], bad["statusCode"], down["statusCode"]) == (303, 400, 503)
    assert sentinel in down["body"]  # the reporter's input is kept in the 503 page...
    logs = all_logs()
    assert "report accepted" in logs and "report refused" in logs and "report not received" in logs
    assert sentinel not in logs  # ...but never in a log line
    assert "127.0.0.1" not in logs
