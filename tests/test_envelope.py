"""Envelope v1: recipients, padding, ASCII body, size and character checks, plaintext check,
keys and rotation, the `age` CLI, and a function that holds no identity."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest

from reportal.envelope import (
    MESSAGE_ATTRIBUTES, PAD_BYTES, SQS_MAX_MESSAGE_BYTES, EnvelopeError, EnvelopeTooLarge, add_identity,
    check_body, check_plaintext, generate_identity, load_identities, open_envelope, pad, parse_recipients,
    recipients_of, seal,
)
from tests.support import ROOT


def _report(**fields: object) -> dict:
    return {"report_id": "0f" * 16, "received_at": "2025-03-01T10:00:00Z", "portal": "eg", "lang": "ar",
            "urls": [{"typed": "hxxp://exa[.]mple/تقرير", "normalized": "http://exa.mple/%D8%AA"}],
            "kind": "image", "notes": "Gefunden: ö ü ß – تقرير – 報告 – 😀\n\x1b[31m", "referrer": None,
            "email": None, **fields}


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Path]:
    """An analyst's and an escrow identity file."""
    paths = {"analyst": tmp_path / "analyst.key", "escrow": tmp_path / "escrow.key"}
    for path in paths.values():
        generate_identity(path)
    return paths


def _recipients(keys: dict[str, Path]) -> list:
    return parse_recipients([r for path in keys.values() for r in recipients_of(path)])


def test_every_recipient_opens_the_same_report(keys) -> None:
    body = seal(_report(), _recipients(keys))
    assert body.isascii() and set(body) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
    assert base64.b64decode(body).startswith(b"age-encryption.org/v1\n")
    for path in keys.values():
        assert open_envelope(body, load_identities(path)) == _report()


def test_a_stranger_cannot_open(keys, tmp_path) -> None:
    body = seal(_report(), _recipients(keys))
    generate_identity(tmp_path / "stranger.key")
    with pytest.raises(EnvelopeError, match="cannot open"):
        open_envelope(body, load_identities(tmp_path / "stranger.key"))


def test_plaintext_is_padded_to_kibibytes_so_sizes_reveal_little(keys) -> None:
    identity = load_identities(keys["analyst"])
    base = len(json.dumps(_report(notes=""), ensure_ascii=False, separators=(",", ":")).encode())
    for notes in ("a", "a" * (PAD_BYTES - base)):  # the shortest and the longest one-block reports
        sealed = base64.b64decode(seal(_report(notes=notes), _recipients(keys)))
        assert len(pyrage.decrypt(sealed, identity)) == PAD_BYTES
    big = pyrage.decrypt(base64.b64decode(seal(_report(notes="ü" * 1000), _recipients(keys))), identity)
    assert len(big) == 3 * PAD_BYTES  # 2,000 bytes of ü plus the rest → three blocks
    assert pad(b"x" * 1024) == b"x" * 1024 and pad(b"") == b" " * 1024 and len(pad(b"x" * 1025)) == 2048


def test_recipients_are_refused_when_missing_or_malformed(keys) -> None:
    good = recipients_of(keys["analyst"])[0]
    for values in ([], ["", "  "]):
        with pytest.raises(EnvelopeError, match="no age recipient"):
            parse_recipients(values)
    with pytest.raises(EnvelopeError, match="recipient #2 .* not an age X25519 recipient"):
        parse_recipients([good, "age1notakey"])
    with pytest.raises(EnvelopeError, match="no age recipient"):
        seal(_report(), [])
    assert len(parse_recipients([good, f" {good} "])) == 1


def test_a_secret_key_given_as_recipient_is_refused_and_not_quoted(keys) -> None:
    secret = [line for line in keys["analyst"].read_text().splitlines() if line.startswith("AGE-SECRET")][0]
    with pytest.raises(EnvelopeError) as caught:
        parse_recipients([secret])
    assert "secret key" in str(caught.value) and secret[15:] not in str(caught.value)


def test_sealing_failure_or_empty_result_raises(keys, monkeypatch) -> None:
    monkeypatch.setattr(pyrage, "encrypt", lambda data, recipients: b"")
    with pytest.raises(EnvelopeError, match="returned nothing"):
        seal(_report(), _recipients(keys))

    def fail(data: bytes, recipients: list) -> bytes:
        raise pyrage.EncryptError("boom")

    monkeypatch.setattr(pyrage, "encrypt", fail)
    with pytest.raises(EnvelopeError, match="sealing failed: EncryptError"):
        seal(_report(), _recipients(keys))


def test_size_is_checked_against_the_queue_maximum_including_the_attribute(keys) -> None:
    assert SQS_MAX_MESSAGE_BYTES == 1_048_576  # the SQS maximum; both queues are set to it
    body = seal(_report(), _recipients(keys))
    attribute = len("v") + len("String") + len("1")
    check_body(body, len(body) + attribute)
    with pytest.raises(EnvelopeTooLarge) as caught:
        check_body(body, len(body) + attribute - 1)
    assert (caught.value.size, caught.value.limit) == (len(body) + attribute, len(body) + attribute - 1)
    with pytest.raises(EnvelopeTooLarge):
        seal(_report(notes="x" * 800_000), _recipients(keys))  # base64 of 800 KB > 1 MiB
    assert seal(_report(notes="x" * 700_000), _recipients(keys))
    assert MESSAGE_ATTRIBUTES == {"v": {"DataType": "String", "StringValue": "1"}}


@pytest.mark.parametrize("bad", ["a\x00b", "\x0b", "\x1f", "\ufffe", "\uffff", "\ud800"])
def test_characters_sqs_refuses_are_caught(bad: str) -> None:
    with pytest.raises(EnvelopeError, match="character SQS does not accept"):
        check_body("QUJD" + bad)


def test_characters_sqs_accepts_pass() -> None:
    check_body("\t\n\r ~é\ud7ff\ue000\ufffd😀")


def test_plaintext_check_names_the_bad_field_never_its_value() -> None:
    assert check_plaintext(_report()) == _report()
    with pytest.raises(EnvelopeError, match="a key envelope v1 does not have"):  # strict: no key beyond v1
        check_plaintext({**_report(), "SECRET-NOTE": 1})
    del_kind = _report()
    del del_kind["kind"]
    assert check_plaintext(del_kind) == del_kind
    cases = {
        "report_id": [None, "", "a b", "x" * 65, 5], "received_at": ["2025-03-01 10:00:00", "2025-13-01T10:00:00Z", None,
                        "٢٠٢٥-03-01T10:00:00Z"],
        "portal": ["", None, "BZ", "\x1b[2J"], "lang": [3, "es\n", ""], "urls": [[], None, [{"typed": "a"}], [{"typed": "a", "normalized": ""}], ["x"]],
        "kind": [1, "SECRET-NOTE"], "notes": [["SECRET-NOTE"], "SECRET-NOTE" * 500], "email": [{"a": 1}, "x" * 321],
        "referrer": ["r" * 8193],
    }
    for field, values in cases.items():
        for value in values:
            with pytest.raises(EnvelopeError, match=f"'{field}'") as caught:
                check_plaintext(_report(**{field: value}))
            assert "SECRET-NOTE" not in str(caught.value)


def test_identity_file_is_0600_and_never_overwritten(tmp_path) -> None:
    path = tmp_path / "keys" / "a.key"
    recipient = generate_identity(path)
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert recipient.startswith("age1") and f"# public key: {recipient}\n" in path.read_text()
    with pytest.raises(FileExistsError):
        generate_identity(path)


def test_rotation_keeps_old_identities_and_opens_with_any(tmp_path) -> None:
    path = tmp_path / "inbox.key"
    old = generate_identity(path)
    old_body = seal(_report(), parse_recipients([old]))
    new = add_identity(path)
    assert new != old and recipients_of(path) == [old, new]
    assert path.stat().st_mode & 0o777 == 0o600
    new_body = seal(_report(), parse_recipients([new]))
    identities = load_identities(path)
    assert open_envelope(old_body, identities) == open_envelope(new_body, identities) == _report()
    assert [p.name for p in tmp_path.iterdir()] == ["inbox.key"]  # no temporary file left
    for body in (old_body, new_body):  # the standard tool reads a multi-key identity file too
        sealed = tmp_path / "envelope.age"
        sealed.write_bytes(base64.b64decode(body))
        out = subprocess.run(["age", "-d", "-i", str(path), str(sealed)], check=True, capture_output=True).stdout
        assert json.loads(out) == _report()


def test_malformed_identity_file_names_the_line_not_the_content(tmp_path) -> None:
    path = tmp_path / "bad.key"
    path.write_text("# comment\n\nAGE-SECRET-KEY-1NOTREALLYAKEYATALLBUTSECRETISH\n")
    with pytest.raises(EnvelopeError) as caught:
        load_identities(path)
    assert f"{path}:3:" in str(caught.value) and "SECRETISH" not in str(caught.value)
    (tmp_path / "empty.key").write_text("# nothing\n")
    with pytest.raises(EnvelopeError, match="no age identity"):
        load_identities(tmp_path / "empty.key")
    with pytest.raises(EnvelopeError, match="no age identity"):
        add_identity(tmp_path / "empty.key")


def test_age_cli_opens_a_body_sealed_to_two_recipients(keys, tmp_path) -> None:
    sealed = tmp_path / "envelope.age"
    sealed.write_bytes(base64.b64decode(seal(_report(), _recipients(keys))))
    for path in keys.values():
        plaintext = subprocess.run(["age", "-d", "-i", str(path), str(sealed)], check=True, capture_output=True).stdout
        assert len(plaintext) % PAD_BYTES == 0
        assert json.loads(plaintext) == _report()


_FUNCTION_PROCESS = r"""
import gc, json, os, sys
from moto import mock_aws
with mock_aws():
    import boto3
    sqs = boto3.client("sqs")
    os.environ["REPORTAL_QUEUE_URL"] = sqs.create_queue(QueueName="q")["QueueUrl"]
    sys.path.insert(0, os.path.join(sys.argv[1], "lambda"))
    import handler as deployed  # the function's deploy root, as Lambda imports it
    from reportal.local_aws import function_url_event
    from urllib.parse import urlencode
    body = urlencode({"portal": "bz", "lang": "en", "url": "https://example.com/x"}).encode()
    answer = deployed.handler(function_url_event("POST", "/submit", {
        "content-type": "application/x-www-form-urlencoded", "origin": "null"}, body), None)
    [message] = sqs.receive_message(QueueUrl=os.environ["REPORTAL_QUEUE_URL"],
                                    MessageAttributeNames=["All"])["Messages"]
    from pyrage import x25519
    from reportal.envelope import EnvelopeError, open_envelope, parse_recipients
    def identities_held():
        # Every object reachable from the collector's objects; pyrage keys and dicts or tuples
        # holding only such keys are not tracked themselves, so walk into containers.
        found, seen, stack = 0, set(), gc.get_objects()
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, x25519.Identity):
                found += 1
            elif gc.is_tracked(obj) or isinstance(obj, (dict, tuple, list, set, frozenset)):
                stack.extend(gc.get_referents(obj))
        return found
    held = identities_held()
    attempts = {}
    recipients = parse_recipients(os.environ["REPORTAL_RECIPIENTS"].split(","))
    for name, keys in {"recipients": recipients, "nothing": []}.items():
        try:
            open_envelope(message["Body"], keys)
            attempts[name] = "opened"
        except EnvelopeError:
            attempts[name] = "refused"
    parsed = 0
    for value in list(os.environ.values()) + list(map(str, vars(deployed).values())):
        try:
            x25519.Identity.from_str(value.strip())
            parsed += 1
        except Exception:
            pass
    control = {"k": x25519.Identity.generate()}  # the scan does find an identity when one is held
    print(json.dumps({"status": answer["statusCode"], "body": message["Body"], "attributes": message["MessageAttributes"],
                      "held": held, "control": identities_held(), "attempts": attempts, "parsed": parsed,
                      "inbox_imported": any(m.startswith("reportal.inbox") for m in sys.modules)}))
"""


def test_function_holds_no_identity_and_cannot_open_what_it_sealed(built, keys) -> None:
    env = {**os.environ, "REPORTAL_RECIPIENTS": ",".join(r for p in keys.values() for r in recipients_of(p)),
           "REPORTAL_DATA_DIR": str(built["function"]), "AWS_DEFAULT_REGION": "eu-west-2"}
    done = subprocess.run([sys.executable, "-c", _FUNCTION_PROCESS, str(ROOT)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["status"] == 303
    assert seen["attributes"] == {"v": {"StringValue": "1", "DataType": "String"}}
    assert seen["held"] == 0 and seen["control"] == 1
    assert seen["attempts"] == {"recipients": "refused", "nothing": "refused"}
    assert seen["parsed"] == 0 and seen["inbox_imported"] is False
    assert "AGE-SECRET-KEY" not in "".join(p.read_text(errors="replace") for p in built["function"].rglob("*") if p.is_file())
    # ...while the analyst's identity opens the very same body
    assert open_envelope(seen["body"], load_identities(keys["analyst"]))["urls"][0]["normalized"] == "https://example.com/x"


def test_a_lone_surrogate_is_refused_not_left_to_crash_the_store() -> None:
    report = json.loads(json.dumps(_report()).replace("Gefunden", "\\ud800"))
    with pytest.raises(EnvelopeError, match="lone surrogate"):
        check_plaintext(report)
