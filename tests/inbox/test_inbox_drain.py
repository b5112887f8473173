"""Drain: store then delete, poison left on the queue and counted, redeliveries recognized,
batch-delete failures handled, queue errors retried, the CLI."""
from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
from typing import Any

import pyrage
import pytest

from reportal.envelope import load_identities, seal
from reportal.inbox.drain import DrainStats, drain
from reportal.inbox.store import Store
from tests.support import form_event
from tests.support import make_report, queue_counts, send_bodies


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty inbox database."""
    s = Store(tmp_path / "inbox.sqlite")
    yield s
    s.close()


def _drain(sqs: Any, queue_url: str, identity_file, store: Store, **kw: Any) -> DrainStats:
    return drain(sqs, queue_url, load_identities(identity_file), store, once=True, wait_seconds=0, **kw)


def test_function_report_opens_in_the_inbox_identically_and_with_age(
        handler, sqs, queue_url, identity_file, store, monkeypatch, tmp_path) -> None:
    import reportal.submit.app as app

    sealed: list[dict] = []
    real_seal = app.seal
    monkeypatch.setattr(app, "seal", lambda report, *a, **k: sealed.append(report) or real_seal(report, *a, **k))
    fields = [("portal", "eg"), ("lang", "ar"), ("url", "hxxps://exa[.]mple/تقرير?a=1"), ("url", "example.org"),
              ("notes", "خلف تسجيل الدخول\n=1+1"), ("kind", "video"), ("email", "a@example.org")]
    assert handler(form_event(fields), None)["statusCode"] == 303
    [message] = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"])["Messages"]
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    age_file = tmp_path / "report.age"
    age_file.write_bytes(base64.b64decode(message["Body"]))
    by_age = subprocess.run(["age", "-d", "-i", str(identity_file), str(age_file)], check=True,
                            capture_output=True).stdout

    stats = _drain(sqs, queue_url, identity_file, store)

    assert (stats.stored, stats.unopened) == (1, 0)
    [stored] = store.list()
    assert (stored.pop("duplicate_of"), stored.pop("status"), stored.pop("assessments")) == (None, "new", [])
    assert stored == sealed[0] == json.loads(by_age)
    assert queue_counts(sqs, queue_url) == (0, 0)


def test_poison_between_two_valid_messages_stores_two_and_leaves_one(
        sqs, queue_url, identity_file, recipients, store, tmp_path) -> None:
    from reportal.envelope import generate_identity, parse_recipients

    stranger = parse_recipients([generate_identity(tmp_path / "stranger.key")])
    first, second = make_report(1), make_report(2)
    send_bodies(sqs, queue_url, [seal(first, recipients), seal(make_report(3), stranger), seal(second, recipients)])

    stats = _drain(sqs, queue_url, identity_file, store)

    assert {r["report_id"] for r in store.list()} == {first["report_id"], second["report_id"]}
    assert (stats.received, stats.stored, stats.unopened, stats.reasons) == (3, 2, 1, {"sealed": 1})
    assert queue_counts(sqs, queue_url) == (0, 1)  # left on the queue (in flight), not deleted
    assert "could not open 1 (sealed 1) left on the queue" in stats.summary()


def test_every_kind_of_unopenable_message_is_left_and_counted_by_reason(
        sqs, queue_url, identity_file, recipients, store) -> None:
    not_json = base64.b64encode(pyrage.encrypt(b"not json" + b" " * 1016, recipients)).decode()
    bad_field = seal(make_report(urls=[]) | {"urls": []}, recipients)
    send_bodies(sqs, queue_url, [seal(make_report(), recipients)], version=None)  # no attribute
    send_bodies(sqs, queue_url, [seal(make_report(), recipients)], version="2")
    send_bodies(sqs, queue_url, ["not base64 at all!", not_json, bad_field])

    stats = _drain(sqs, queue_url, identity_file, store)

    assert stats.reasons == {"version": 2, "sealed": 1, "plaintext": 2}
    assert (stats.stored, stats.unopened) == (0, 5)
    assert queue_counts(sqs, queue_url) == (0, 5)
    assert store.count() == 0


def test_poison_reaches_the_dead_letter_queue_after_max_receive_count(sqs, identity_file, store) -> None:
    dlq = sqs.create_queue(QueueName="poison-dlq")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName="poison", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": arn, "maxReceiveCount": 2})})["QueueUrl"]
    send_bodies(sqs, queue, ["garbage"])

    first = _drain(sqs, queue, identity_file, store)  # received twice (visible again at once), counted once
    later = _drain(sqs, queue, identity_file, store)  # the third receive finds it moved to the DLQ

    assert (first.received, first.unopened, later.received) == (2, 1, 0)
    assert queue_counts(sqs, queue) == (0, 0) and queue_counts(sqs, dlq) == (1, 0)
    [moved] = sqs.receive_message(QueueUrl=dlq)["Messages"]
    assert moved["Body"] == "garbage"  # kept whole for an analyst to inspect


def test_a_redelivered_report_is_stored_once_and_deleted(sqs, queue_url, identity_file, recipients, store) -> None:
    body = seal(make_report(), recipients)
    send_bodies(sqs, queue_url, [body, body])  # SQS delivers at least once
    stats = _drain(sqs, queue_url, identity_file, store)
    assert (stats.stored, stats.already) == (1, 1)
    send_bodies(sqs, queue_url, [body])  # or again after a crash between commit and delete
    stats = _drain(sqs, queue_url, identity_file, store)
    assert (stats.stored, stats.already) == (0, 1)
    assert store.count() == 1 and queue_counts(sqs, queue_url) == (0, 0)


def test_a_crash_between_commit_and_delete_loses_nothing(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    reports = [make_report(i) for i in range(3)]
    send_bodies(sqs, queue_url, [seal(r, recipients) for r in reports])
    handles: list[str] = []

    def killed(**kw: Any) -> dict:
        handles.extend(e["ReceiptHandle"] for e in kw["Entries"])
        raise SystemExit(137)  # the process dies after the commit, before SQS hears of the delete

    real = sqs.delete_message_batch
    monkeypatch.setattr(sqs, "delete_message_batch", killed)
    with pytest.raises(SystemExit):
        _drain(sqs, queue_url, identity_file, store)
    assert store.count() == 3 and queue_counts(sqs, queue_url) == (0, 3)
    monkeypatch.setattr(sqs, "delete_message_batch", real)
    for handle in handles:  # the visibility timeout expires
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)

    stats = _drain(sqs, queue_url, identity_file, store)

    assert (stats.received, stats.stored, stats.already) == (3, 0, 3)
    assert queue_counts(sqs, queue_url) == (0, 0)
    assert sorted(r["report_id"] for r in store.list()) == sorted(r["report_id"] for r in reports)


def test_batch_delete_failures_are_retried_or_counted_and_come_back(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    send_bodies(sqs, queue_url, [seal(make_report(i), recipients) for i in range(3)])
    real, calls, refused = sqs.delete_message_batch, [], []

    def flaky(**kw: Any) -> dict:
        calls.append([e["Id"] for e in kw["Entries"]])
        if len(calls) == 1:  # entry 0 fails on SQS's side (retried), entry 1 is refused (not retried)
            refused.extend(e["ReceiptHandle"] for e in kw["Entries"] if e["Id"] == "1")
            kept = [e for e in kw["Entries"] if e["Id"] == "2"]
            real(QueueUrl=kw["QueueUrl"], Entries=kept)
            return {"Successful": [{"Id": "2"}], "Failed": [
                {"Id": "0", "SenderFault": False, "Code": "InternalError"},
                {"Id": "1", "SenderFault": True, "Code": "ReceiptHandleIsInvalid"}]}
        return real(**kw)

    monkeypatch.setattr(sqs, "delete_message_batch", flaky)
    stats = _drain(sqs, queue_url, identity_file, store, receivers=1)  # one DeleteMessageBatch of 3
    assert calls == [["0", "1", "2"], ["0"]]
    assert (stats.stored, stats.not_deleted) == (3, 1)
    assert queue_counts(sqs, queue_url) == (0, 1)
    sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=refused[0], VisibilityTimeout=0)
    stats = _drain(sqs, queue_url, identity_file, store)  # it comes back: recognized, deleted
    assert (stats.stored, stats.already, stats.not_deleted) == (0, 1, 0)
    assert queue_counts(sqs, queue_url) == (0, 0) and store.count() == 3


def test_nothing_is_deleted_when_the_commit_fails(sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    send_bodies(sqs, queue_url, [seal(make_report(i), recipients) for i in range(2)])

    def disk_full(reports: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "add_many", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        _drain(sqs, queue_url, identity_file, store)
    assert queue_counts(sqs, queue_url) == (0, 2)  # still on the queue, back after the timeout


def test_on_stored_runs_after_commit_and_queue_errors_are_retried(
        sqs, queue_url, identity_file, recipients, store, monkeypatch) -> None:
    from botocore.exceptions import EndpointConnectionError

    send_bodies(sqs, queue_url, [seal(make_report(i, urls=["https://same.example/"]), recipients) for i in range(2)])
    real, failures = sqs.receive_message, [1]

    def unreachable_once(**kw: Any) -> dict:
        try:
            failures.pop()  # atomic: exactly one of the receiver threads fails
        except IndexError:
            return real(**kw)
        raise EndpointConnectionError(endpoint_url="http://queue.invalid")

    monkeypatch.setattr(sqs, "receive_message", unreachable_once)
    seen: list[tuple[bool, str | None]] = []
    stats = drain(sqs, queue_url, load_identities(identity_file), store, once=False, wait_seconds=0,
                  on_stored=lambda r: seen.append((store.get(r["report_id"]) is not None, r["duplicate_of"])),
                  should_stop=lambda: len(seen) == 2)
    assert stats.queue_errors == 1 and stats.stored == 2 and stats.grouped == 1
    assert seen[0] == (True, None) and seen[1][0] and seen[1][1] is not None  # committed before the callback
    assert queue_counts(sqs, queue_url) == (0, 0)  # deletes answered before drain returned


def test_once_mode_raises_queue_errors(sqs, identity_file, store) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError):
        _drain(sqs, "https://sqs.eu-west-2.amazonaws.com/123456789012/missing", identity_file, store)


def test_cli_drain_prints_a_plain_summary(sqs, queue_url, identity_file, recipients, tmp_path, capsys) -> None:
    from reportal.cli import main

    send_bodies(sqs, queue_url, [seal(make_report(i), recipients) for i in range(12)] + ["junk"])
    db = tmp_path / "cli.sqlite"
    code = main(["inbox", "drain", "--queue-url", queue_url, "--identity", str(identity_file), "--db", str(db),
                 "--once", "--wait", "0"])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("received 13, stored 12 (0 grouped as duplicates), already stored 0, conflicting 0, "
                          "could not open 1 (header 1)")
    assert "\r" not in err  # no progress line when not on a terminal
    assert db.stat().st_mode & 0o777 == 0o600


def test_cli_drain_refuses_missing_queue_or_identity(tmp_path, capsys, monkeypatch) -> None:
    from reportal.cli import main

    monkeypatch.delenv("REPORTAL_QUEUE_URL", raising=False)
    assert main(["inbox", "drain", "--db", str(tmp_path / "x.sqlite")]) == 2
    assert main(["inbox", "drain", "--queue-url", "http://q", "--identity", str(tmp_path / "none.key")]) == 1
    err = capsys.readouterr().err
    assert "give --queue-url" in err and "cannot read the identity" in err


def test_progress_line_redraws_in_place() -> None:
    import io

    from reportal.inbox.commands import _Progress

    out = io.StringIO()
    show = _Progress(out)
    show(DrainStats(received=10, stored=9, unopened=1))
    show(DrainStats(received=20, stored=19, unopened=1), final=True)
    assert out.getvalue() == ("\r\x1b[2Kreceived 10  stored 9  already 0  could not open 1"
                              "\r\x1b[2Kreceived 20  stored 19  already 0  could not open 1\n")


def test_cli_drain_reports_a_database_failure_without_a_traceback(
        sqs, queue_url, identity_file, recipients, tmp_path, capsys, monkeypatch) -> None:
    from reportal.cli import main

    def disk_error(self: Store, reports: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    send_bodies(sqs, queue_url, [seal(make_report(), recipients)])
    monkeypatch.setattr(Store, "add_many", disk_error)
    code = main(["inbox", "drain", "--queue-url", queue_url, "--identity", str(identity_file),
                 "--db", str(tmp_path / "inbox.sqlite"), "--once", "--wait", "0"])
    err = capsys.readouterr().err
    assert code == 1 and "the inbox database failed (OperationalError: disk I/O error)" in err
    assert queue_counts(sqs, queue_url) == (0, 1)  # received, not deleted: back after the timeout
