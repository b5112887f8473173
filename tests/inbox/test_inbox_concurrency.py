"""Drain with several receiver threads: they overlap, every delete follows the commit of its
messages, stopping or failing in the middle deletes nothing uncommitted, `once` ends, and the
number of messages in flight stays bounded. A fake SQS client records every call in order."""
from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from reportal.envelope import load_identities, seal
from reportal.inbox.drain import drain
from reportal.inbox.store import Store
from tests.support import make_report


class FakeSQS:
    """A thread-safe in-memory queue answering receive_message / delete_message_batch like SQS
    (up to 10 visible messages per receive, each then in flight until deleted or, with
    `visibility_zero`, visible again at once). `latency` seconds per call stand in for the
    round trip (a stand-in for the network, not a wait for another thread). `log` holds ("receive", ids) and ("delete", ids) in the order they happened."""

    def __init__(self, bodies: list[str], latency: float = 0.0, delete_latency: float = 0.0,
                 visibility_zero: bool = False):
        self.lock = threading.Lock()
        self.messages = {f"m{i}": body for i, body in enumerate(bodies)}
        self.visible = list(self.messages)
        self.in_flight: set[str] = set()
        self.latency, self.delete_latency, self.visibility_zero = latency, delete_latency, visibility_zero
        self.log: list[tuple[str, list[str]]] = []
        self.calls_now = self.max_calls_now = self.max_in_flight = 0

    def _enter(self) -> None:
        with self.lock:
            self.calls_now += 1
            self.max_calls_now = max(self.max_calls_now, self.calls_now)

    def _leave(self) -> None:
        with self.lock:
            self.calls_now -= 1

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, WaitTimeSeconds: int,
                        MessageAttributeNames: list[str], MessageSystemAttributeNames: list[str]) -> dict[str, Any]:
        assert MaxNumberOfMessages == 10 and MessageAttributeNames == ["v"]
        assert MessageSystemAttributeNames == ["SentTimestamp"]
        self._enter()
        try:
            time.sleep(self.latency)  # the network round trip (not synchronisation)
            with self.lock:
                ids = self.visible[:MaxNumberOfMessages]
                if not self.visibility_zero:
                    del self.visible[:len(ids)]
                    self.in_flight.update(ids)
                    self.max_in_flight = max(self.max_in_flight, len(self.in_flight))
                self.log.append(("receive", ids))
                return {"Messages": [{"MessageId": i, "ReceiptHandle": f"rh-{i}", "Body": self.messages[i],
                                      "MessageAttributes": {"v": {"StringValue": "1", "DataType": "String"}}}
                                     for i in ids]}
        finally:
            self._leave()

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:
        assert 1 <= len(Entries) <= 10
        time.sleep(self.delete_latency)  # the network round trip (not synchronisation)
        with self.lock:
            ids = [e["ReceiptHandle"].removeprefix("rh-") for e in Entries]
            for i in ids:
                self.in_flight.discard(i)
                self.messages.pop(i, None)
                if i in self.visible:
                    self.visible.remove(i)
            self.log.append(("delete", ids))
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def deleted(self) -> list[str]:
        with self.lock:
            return [i for kind, ids in self.log if kind == "delete" for i in ids]


class RecordingStore(Store):
    """A Store that logs each commit's report ids into `log` (shared with a FakeSQS) once
    committed, and can fail or be interrupted before its `fail_at`-th commit."""

    def __init__(self, path: Any, log: list, lock: threading.Lock, fail_at: int = 0,
                 failure: BaseException | None = None, slow: float = 0.0):
        super().__init__(path)
        self.log, self.lock, self.fail_at, self.failure, self.slow = log, lock, fail_at, failure, slow
        self.commits = 0
        self.committed_ids: list[str] = []

    def add_many(self, reports: Any) -> Any:
        reports = list(reports)
        self.commits += 1
        if self.commits == self.fail_at:
            raise self.failure  # type: ignore[misc]
        time.sleep(self.slow)  # a slow disk, so batches pile up (not synchronisation)
        added = super().add_many(reports)
        with self.lock:
            self.log.append(("commit", [r["report_id"] for r in reports]))
        self.committed_ids.extend(r["report_id"] for r in reports)
        return added


def _setup(recipients: list, tmp_path: Any, count: int, **fake: Any) -> tuple[FakeSQS, dict[str, str], list]:
    reports = [make_report(i) for i in range(count)]
    sqs = FakeSQS([seal(r, recipients) for r in reports], **fake)
    message_report = {f"m{i}": r["report_id"] for i, r in enumerate(reports)}
    return sqs, message_report, reports


def _assert_every_delete_follows_its_commit(sqs: FakeSQS, message_report: dict[str, str]) -> None:
    committed: set[str] = set()
    for kind, ids in sqs.log:
        if kind == "commit":
            committed.update(ids)
        elif kind == "delete":
            assert {message_report[i] for i in ids} <= committed, "a message was deleted before its commit"


def _receivers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("reportal-receive")]


def test_several_receivers_overlap_and_every_delete_follows_its_commit(identity_file, recipients, tmp_path) -> None:
    sqs, message_report, reports = _setup(recipients, tmp_path, 300, latency=0.01, delete_latency=0.01)
    store = RecordingStore(tmp_path / "inbox.sqlite", sqs.log, sqs.lock, slow=0.02)  # batches pile up meanwhile

    stats = drain(sqs, "q", load_identities(identity_file), store, once=True, wait_seconds=0, receivers=4)

    assert (stats.received, stats.stored, stats.already, stats.not_deleted) == (300, 300, 0, 0)
    assert sorted(store.committed_ids) == sorted(r["report_id"] for r in reports)
    assert sorted(sqs.deleted()) == sorted(message_report)  # each exactly once
    assert sqs.messages == {} and sqs.in_flight == set()
    assert sqs.max_calls_now >= 2  # receives were in flight together
    assert store.commits <= 15  # several batches per transaction when they queued up (30 alone)
    _assert_every_delete_follows_its_commit(sqs, message_report)
    assert _receivers_alive() == []
    store.close()


def test_one_receiver_makes_one_receive_at_a_time(identity_file, recipients, tmp_path) -> None:
    sqs, message_report, _ = _setup(recipients, tmp_path, 25, latency=0.005)
    store = RecordingStore(tmp_path / "inbox.sqlite", sqs.log, sqs.lock)

    stats = drain(sqs, "q", load_identities(identity_file), store, once=True, wait_seconds=0, receivers=1)

    assert stats.stored == 25 and sqs.max_calls_now == 1
    receives = [len(ids) for kind, ids in sqs.log if kind == "receive"]
    assert receives == [10, 10, 5, 0]  # ended at its first empty receive
    _assert_every_delete_follows_its_commit(sqs, message_report)
    store.close()


def test_stop_in_the_middle_deletes_only_what_was_committed(identity_file, recipients, tmp_path) -> None:
    sqs, message_report, _ = _setup(recipients, tmp_path, 400, latency=0.005)
    store = RecordingStore(tmp_path / "inbox.sqlite", sqs.log, sqs.lock)
    stored: list[str] = []

    stats = drain(sqs, "q", load_identities(identity_file), store, once=False, wait_seconds=0, receivers=4,
                  on_stored=lambda r: stored.append(r["report_id"]), should_stop=lambda: len(stored) >= 50)

    assert 50 <= stats.stored == store.count() < 400
    deleted = {message_report[i] for i in sqs.deleted()}
    assert deleted == set(store.committed_ids)  # every commit's deletes answered, nothing else deleted
    assert len(sqs.messages) == 400 - stats.stored  # the rest is still on the queue (some in flight)
    _assert_every_delete_follows_its_commit(sqs, message_report)
    assert _receivers_alive() == []
    store.close()


@pytest.mark.parametrize("failure", [sqlite3.OperationalError("disk I/O error"), KeyboardInterrupt()],
                         ids=["database-error", "ctrl-c"])
def test_a_failed_or_interrupted_commit_deletes_nothing_of_it(identity_file, recipients, tmp_path, failure) -> None:
    sqs, message_report, _ = _setup(recipients, tmp_path, 300, latency=0.005)
    store = RecordingStore(tmp_path / "inbox.sqlite", sqs.log, sqs.lock, fail_at=3, failure=failure)

    with pytest.raises(type(failure)):
        drain(sqs, "q", load_identities(identity_file), store, once=True, wait_seconds=0, receivers=4)

    for thread in threading.enumerate():  # let any delete still running finish before looking
        if thread.name.startswith("reportal-delete"):
            thread.join(timeout=10)
    deleted = {message_report[i] for i in sqs.deleted()}
    assert deleted <= set(store.committed_ids) and store.count() == len(store.committed_ids) > 0
    assert len(sqs.messages) == 300 - len(deleted)  # nothing uncommitted was deleted
    _assert_every_delete_follows_its_commit(sqs, message_report)
    assert _receivers_alive() == []
    store.close()


def test_once_ends_when_poison_keeps_coming_back(identity_file, recipients, tmp_path) -> None:
    good = [seal(make_report(i), recipients) for i in range(3)]
    sqs = FakeSQS(["not an envelope", *good, "also not one"], visibility_zero=True)
    store = RecordingStore(tmp_path / "inbox.sqlite", sqs.log, sqs.lock)

    stats = drain(sqs, "q", load_identities(identity_file), store, once=True, wait_seconds=0, receivers=4)

    assert (stats.unopened, stats.reasons) == (2, {"sealed": 2})  # counted once each
    assert stats.stored == 3 and stats.received >= 5
    assert sorted(sqs.messages) == ["m0", "m4"]  # poison left on the queue, never deleted
    assert _receivers_alive() == []
    store.close()


def test_messages_in_flight_stay_bounded_when_deletes_are_slow(identity_file, recipients, tmp_path) -> None:
    sqs, message_report, _ = _setup(recipients, tmp_path, 600, delete_latency=0.05)
    store = RecordingStore(tmp_path / "inbox.sqlite", sqs.log, sqs.lock)

    stats = drain(sqs, "q", load_identities(identity_file), store, once=True, wait_seconds=0, receivers=4)

    assert stats.stored == 600 and sqs.messages == {}
    assert 40 < sqs.max_in_flight <= 50 * 4  # the bound in drain()'s docstring, far under 600
    _assert_every_delete_follows_its_commit(sqs, message_report)
    store.close()


def test_receivers_must_be_at_least_one(identity_file, tmp_path) -> None:
    with Store(tmp_path / "inbox.sqlite") as store, pytest.raises(ValueError):
        drain(FakeSQS([]), "q", load_identities(identity_file), store, receivers=0)


def test_cli_stops_cleanly_on_sigterm_mid_drain(moto_endpoint, identity_file, recipients, tmp_path) -> None:
    import boto3

    from tests.support import ROOT, queue_counts, send_bodies, stored_count, wait_until

    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="eu-west-2")
    queue_url = sqs.create_queue(QueueName="sigterm", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    send_bodies(sqs, queue_url, [seal(make_report(i), recipients) for i in range(1000)])
    db = tmp_path / "inbox.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reportal.cli", "inbox", "drain", "--queue-url", queue_url, "--identity",
         str(identity_file), "--db", str(db), "--wait", "1", "--receivers", "4"],
        cwd=ROOT, env={**os.environ, "AWS_ENDPOINT_URL": moto_endpoint}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    wait_until(lambda: stored_count(db) > 0 or proc.poll() is not None, 30, "the drain's first commit")
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)

    assert proc.returncode == 0, err
    stored = stored_count(db)
    assert 0 < stored < 1000
    assert re.match(rf"received \d+, stored {stored} .*not deleted 0, queue errors 0$", out.strip())
    visible, in_flight = queue_counts(sqs, queue_url)
    assert visible + in_flight == 1000 - stored  # every stored one deleted, nothing else
    assert err == ""  # nothing printed: no traceback, no content


def test_a_second_store_in_one_process_keeps_the_first_ones_writes_when_another_process_closes(tmp_path) -> None:
    """The workbench opens one Store per server thread; the drain and the CLI run beside it.
    POSIX locks belong to the process: closing any descriptor of the database file drops every
    lock the process holds on it (sqlite.org/howtocorrupt.html §2.2). Then another process that
    closes its connection believes it is the last, and deletes the -wal file the first Store
    still writes to: its commits (assessments, audit entries) are lost."""
    db = tmp_path / "inbox.sqlite"
    # GIVEN a store writing (one server thread), then a second store opened in the same process
    first = Store(db)
    first.record("ana", "view-report", "r1")
    second = Store(db)
    # WHEN another process opens the database and closes it (a drain run, `reportal analysts list`)
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(db)!r}).execute("
                    "'SELECT count(*) FROM audit').fetchone()"], check=True)
    # THEN the -wal file is still there, and what the first store commits next is seen by others
    assert (tmp_path / "inbox.sqlite-wal").exists()
    first.record("ana", "view-report", "r2")
    seen = subprocess.run([sys.executable, "-c", f"import sqlite3; print(sqlite3.connect({str(db)!r}).execute("
                           "'SELECT count(*) FROM audit').fetchone()[0])"], check=True, capture_output=True, text=True)
    assert seen.stdout.strip() == "2"
    first.close()
    second.close()
