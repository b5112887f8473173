"""Hostile queue messages: each is refused in bounded work, left for the dead-letter queue and
counted, and never takes another message with it (issue 13, "The drain isolates every message")."""
from __future__ import annotations

import base64
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

import pyrage
import pytest

from reportal.envelope import MAX_RECIPIENTS, EnvelopeError, load_identities, pad, parse_recipients, seal
from reportal.inbox.drain import DrainStats, drain
from reportal.inbox.guard import (MAX_HEADER_BYTES, MAX_STANZAS, Refused, _check_clock, check_age_header,
                                  parse_plaintext)
from reportal.inbox.store import Store
from tests.support import make_report, queue_counts, send_bodies


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty inbox database."""
    s = Store(tmp_path / "inbox.sqlite")
    yield s
    s.close()


def _drain(sqs: Any, queue_url: str, identity_file, store: Store) -> DrainStats:
    return drain(sqs, queue_url, load_identities(identity_file), store, once=True, wait_seconds=0)


def _seal_raw(plaintext: bytes, recipients: list) -> str:
    """Seal any bytes, as an attacker holding the public recipients can."""
    return base64.b64encode(pyrage.encrypt(pad(plaintext), recipients)).decode("ascii")


def _stanza_bomb(count: int, recipients: list) -> str:
    """A real envelope whose header is padded with `count` tiny stanzas ("-> a" and an empty
    body): its MAC no longer matches, but a decrypter must parse the whole header to know."""
    sealed = pyrage.encrypt(pad(json.dumps(make_report()).encode()), recipients)
    intro = b"age-encryption.org/v1\n"
    return base64.b64encode(intro + b"-> a\n\n" * count + sealed[len(intro):]).decode("ascii")


def _deep(levels: int) -> bytes:
    report = json.dumps(make_report())
    return (report[:-1] + ', "notes": ' + "[" * levels + "]" * levels + "}").encode()


def test_json_nested_a_thousand_deep_is_left_and_the_reports_beside_it_are_stored(
        sqs, queue_url, identity_file, recipients, store) -> None:
    # GIVEN an envelope whose plaintext nests 1,000 (and 100,000) levels deep between honest ones
    honest = [make_report(1), make_report(2)]
    send_bodies(sqs, queue_url, [seal(honest[0], recipients), _seal_raw(_deep(1000), recipients),
                                 _seal_raw(_deep(100_000), recipients), seal(honest[1], recipients)])
    # WHEN the drain runs
    stats = _drain(sqs, queue_url, identity_file, store)
    # THEN the honest reports are stored and deleted; the deep ones are left and counted
    assert {r["report_id"] for r in store.list()} == {r["report_id"] for r in honest}
    assert (stats.stored, stats.unopened, stats.reasons) == (2, 2, {"plaintext": 2})
    assert queue_counts(sqs, queue_url) == (0, 2)


def test_a_header_of_many_tiny_stanzas_never_reaches_the_decrypter(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    # GIVEN a stanza bomb (decryption cost grows with the square of the stanza count) and an honest report
    seen: list[int] = []
    real = pyrage.decrypt
    monkeypatch.setattr(pyrage, "decrypt", lambda data, ids: seen.append(data.count(b"\n-> ")) or real(data, ids))
    honest = make_report(1)
    send_bodies(sqs, queue_url, [_stanza_bomb(3000, recipients), seal(honest, recipients)])
    # WHEN the drain runs
    stats = _drain(sqs, queue_url, identity_file, store)
    # THEN the bomb is refused by its header alone; the decrypter only ever saw the honest one
    assert seen == [2]  # one X25519 stanza and rage's grease stanza
    assert (stats.stored, stats.reasons) == (1, {"header": 1})
    assert [r["report_id"] for r in store.list()] == [honest["report_id"]]


@pytest.mark.parametrize("plaintext, why", [
    (b'{"report_id": NaN}', "NaN"),
    (json.dumps(make_report()).replace('"kind": null', '"kind": Infinity').encode(), "Infinity"),
    (json.dumps(make_report()).replace('"kind": null', '"kind": null, "kind": "image"').encode(), "a key twice"),
    (json.dumps(make_report()).replace('"kind": null', '"kind": 1e400').encode(), "a number"),
    (json.dumps(make_report(extra=1)).encode(), "a key envelope v1 does not have"),
    (json.dumps(make_report(urls=[f"https://e.example/{i}" for i in range(11)])).encode(), "11 urls"),
    (json.dumps(make_report(notes="x" * 5001)).encode(), "notes over the form's limit"),
    (json.dumps(make_report(portal="\x1b[2J")).encode(), "a portal that is not a code"),
    (json.dumps(make_report(lang="es\n")).encode(), "a lang that is not a tag"),
    (json.dumps(make_report(kind="weapon")).encode(), "a kind the form has not"),
    (json.dumps(make_report(kind=["image"])).encode(), "a list as kind (was a TypeError, found by the fuzzer)"),
    (json.dumps(make_report()).replace('"typed"', '"typed": "x", "extra"', 1).encode(), "a url key too many"),
    (b'"a string"', "not an object"),
    (b"\xff\xfe{}", "not UTF-8"),
])
def test_plaintexts_that_are_not_envelope_v1_exactly_are_refused(plaintext: bytes, why: str) -> None:
    with pytest.raises(Refused) as caught:
        parse_plaintext(pad(plaintext))
    assert caught.value.reason == "plaintext", why


def test_a_report_the_function_could_seal_passes_at_every_limit() -> None:
    # GIVEN the largest values the function accepts (code points; a line break counted once)
    report = make_report(urls=[f"https://e.example/{i}/" + "é" * 8000 for i in range(10)],
                         notes="a\r\n" * 2500, email="a@" + "b" * 310 + ".example", kind="video",
                         referrer="r" * 8192)
    report["urls"] = [{"typed": u["typed"] + "x" * (8192 - len(u["typed"])),
                       "normalized": u["normalized"].replace("é", "%C3%A9")} for u in report["urls"]]
    # THEN it is envelope v1
    assert parse_plaintext(pad(json.dumps(report, ensure_ascii=False).encode())) == report


def test_conflicting_content_under_a_known_id_is_kept_for_an_analyst(
        sqs, queue_url, identity_file, recipients, store) -> None:
    # GIVEN a stored report, then an envelope reusing its id with other content, twice
    first = make_report(1)
    send_bodies(sqs, queue_url, [seal(first, recipients)])
    _drain(sqs, queue_url, identity_file, store)
    forged = {**first, "notes": "other content"}
    send_bodies(sqs, queue_url, [seal(forged, recipients), seal(forged, recipients), seal(first, recipients)])
    # WHEN the drain runs
    stats = _drain(sqs, queue_url, identity_file, store)
    # THEN the stored report is unchanged, the other content is kept once, and the queue is empty
    assert (stats.stored, stats.already, stats.conflicts) == (0, 1, 2)
    assert store.get(first["report_id"])["notes"] == "report 1"
    [kept] = store.conflicts(first["report_id"])
    assert kept["report"] == forged and kept["received_at"] == forged["received_at"]
    assert queue_counts(sqs, queue_url) == (0, 0)
    assert "conflicting 2" in stats.summary()


def test_an_unexpected_error_on_one_message_leaves_only_that_one(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    import reportal.inbox.guard as guard

    real = guard.check_plaintext

    def buggy(report: dict) -> dict:
        if report["notes"] == "trigger":
            raise RuntimeError("a bug met by one message")
        return real(report)

    monkeypatch.setattr(guard, "check_plaintext", buggy)
    send_bodies(sqs, queue_url, [seal(make_report(1), recipients), seal(make_report(notes="trigger"), recipients),
                                 seal(make_report(2), recipients)])
    stats = _drain(sqs, queue_url, identity_file, store)
    assert (stats.stored, stats.reasons) == (2, {"unexpected": 1})
    assert queue_counts(sqs, queue_url) == (0, 1)


def test_a_report_the_store_refuses_stays_alone_on_the_queue(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    real = store.add_many

    def picky(reports: list) -> Any:
        if any(r["notes"] == "refused" for r in reports):
            raise sqlite3.IntegrityError("refused by a constraint")
        return real(reports)

    monkeypatch.setattr(store, "add_many", picky)
    send_bodies(sqs, queue_url, [seal(make_report(1), recipients), seal(make_report(notes="refused"), recipients),
                                 seal(make_report(2), recipients)])
    stats = _drain(sqs, queue_url, identity_file, store)
    assert (stats.stored, stats.reasons) == (2, {"store": 1})
    assert queue_counts(sqs, queue_url) == (0, 1)


def test_a_database_failure_still_stops_the_drain_and_deletes_nothing(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    def full(reports: list) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "add_many", full)
    send_bodies(sqs, queue_url, [seal(make_report(1), recipients)])
    with pytest.raises(sqlite3.OperationalError):
        _drain(sqs, queue_url, identity_file, store)
    assert queue_counts(sqs, queue_url) == (0, 1)


def _header(*stanzas: bytes) -> bytes:
    return b"age-encryption.org/v1\n" + b"".join(stanzas) + b"--- " + b"A" * 43 + b"\n" + b"\0" * 48


X = b"-> X25519 " + b"A" * 43 + b"\n" + b"B" * 43 + b"\n"


@pytest.mark.parametrize("sealed, why", [
    (b"-----BEGIN AGE ENCRYPTED FILE-----\n", "armored"),
    (_header(), "no stanza"),
    (_header(X)[:-49 - 48] + b"\n", "no MAC line"),
    (_header(X).replace(b"--- " + b"A" * 43, b"--- " + b"A" * 42), "short MAC"),
    (_header(b"->  X25519 a\n\n"), "an empty argument"),
    (_header(b"-> X25519 \xc3\xa9\n\n"), "a non-ASCII argument"),
    (_header(b"-> X25519\n" + b"A" * 65 + b"\n"), "a body line over 64"),
    (_header(b"-> X25519\n" + b"A" * 64 + b"\n"), "a full last body line without an end"),
    (_header(b"-> X25519\n" + b"A=\n"), "padded base64"),
    (_header(b"-> X25519\n"), "no body"),
    (_header(X * (MAX_STANZAS + 1)), "too many stanzas"),
    (_header(b"-> a\n" + (b"A" * 64 + b"\n") * (MAX_HEADER_BYTES // 65) + b"\n"), "header too long"),
])
def test_malformed_age_headers_are_refused_before_decryption(sealed: bytes, why: str) -> None:
    with pytest.raises(Refused) as caught:
        check_age_header(sealed)
    assert caught.value.reason == "header", why


def test_real_headers_pass_up_to_the_most_recipients_the_function_seals_to() -> None:
    recipients = parse_recipients([str(pyrage.x25519.Identity.generate().to_public()) for _ in range(MAX_RECIPIENTS)])
    assert check_age_header(pyrage.encrypt(b"x", recipients[:1])) == 2
    assert check_age_header(pyrage.encrypt(b"x", recipients)) == MAX_STANZAS
    assert check_age_header(_header(b"-> a\n" + b"A" * 64 + b"\n\n")) == 1  # a full line, then an empty one
    with pytest.raises(EnvelopeError, match="at most 63"):
        parse_recipients([str(pyrage.x25519.Identity.generate().to_public()) for _ in range(MAX_RECIPIENTS + 1)])


def test_a_report_dated_after_the_queue_received_it_is_left_for_the_dead_letter_queue(
        sqs, queue_url, identity_file, recipients, store) -> None:
    # GIVEN a sealed report claiming to be received in 9999 (it would sort last for ever and
    # never reach its retention period), one dated an hour after now, and two honest reports
    future = [make_report(received_at="9999-12-31T23:59:59Z"),
              make_report(received_at=(datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))]
    honest = [make_report(1), make_report(2, received_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))]
    send_bodies(sqs, queue_url, [seal(r, recipients) for r in (honest[0], *future, honest[1])])
    # WHEN the drain runs
    stats = _drain(sqs, queue_url, identity_file, store)
    # THEN only the honest ones are stored; the two from the future stay, counted as "clock"
    assert {r["report_id"] for r in store.list()} == {r["report_id"] for r in honest}
    assert (stats.stored, stats.unopened, stats.reasons) == (2, 2, {"clock": 2})
    assert queue_counts(sqs, queue_url) == (0, 2)


@pytest.mark.parametrize(("sent", "received_at", "refused"), [
    ("1764583200000", "2025-12-01T10:00:00Z", False),   # the same second
    ("1764583200000", "2025-12-01T10:10:00Z", False),   # at the allowed skew
    ("1764583200000", "2025-12-01T10:10:01Z", True),    # one second past it
    ("1764583200000", "2025-01-01T00:00:00Z", False),   # long before: a redriven report
    ("not-a-number", "9999-12-31T23:59:59Z", True),     # no usable SentTimestamp: this clock
])
def test_received_at_is_checked_against_the_queues_own_clock(sent: str, received_at: str, refused: bool) -> None:
    # GIVEN a SentTimestamp (epoch ms, set by SQS) and a report's received_at
    # WHEN the guard checks them THEN only a date more than the skew after it is refused
    if refused:
        with pytest.raises(Refused) as caught:
            _check_clock(received_at, {"SentTimestamp": sent})
        assert caught.value.reason == "clock"
    else:
        _check_clock(received_at, {"SentTimestamp": sent})
