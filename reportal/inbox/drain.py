"""Drain the queue: receive ▸ open ▸ check ▸ store (commit) ▸ delete. Never delete before commit.

Several receiver threads (`reportal.inbox.receivers`) long-poll the queue into a small buffer;
the calling thread, the only writer, opens and checks what they received and commits it to
SQLite a few batches per transaction; only then are those messages handed to delete threads
(DeleteMessageBatch). Queue round trips thus overlap with opening and committing, which is what
bounds a sequential drain against a remote queue (docs/performance.md, "Inbox").

SQS delivers each message at least once, so a report may arrive twice, or come back after a
crash between commit and delete: the store skips ids it holds and the copy is deleted then.
Every message is hostile until proven otherwise (`reportal.inbox.guard` bounds the work of
opening it). A message that cannot be opened or checked, or whose report the store cannot take,
is left on the queue, never deleted: after the queue's `maxReceiveCount` (5,
infra/backend.yaml) SQS moves it to the dead-letter queue. It is counted (once per message per
run) by reason; nothing of its content is printed. One message never takes another with it:
each is opened on its own, and a batch the store refuses for a reason other than the database
itself is stored again report by report.
"""
from __future__ import annotations

import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from reportal.inbox.guard import Refused, open_message
from reportal.inbox.receivers import BATCH, LONG_POLL_SECONDS, Receivers
from reportal.inbox.store import Store

__all__ = ["BATCH", "LONG_POLL_SECONDS", "RECEIVERS", "DrainStats", "Refused", "drain", "open_message"]

RECEIVERS = 4  # receiver threads (and delete threads) by default
# Errors of the database itself (locked, disk full, I/O, closed): no message is to blame, the
# drain stops (or, in the preview, is restarted) and everything uncommitted comes back.
_DATABASE = (sqlite3.OperationalError, sqlite3.InternalError, sqlite3.ProgrammingError, MemoryError)
_TAKE_SECONDS = 0.05  # how long the writer waits for a batch before looking at should_stop again


@dataclass
class DrainStats:
    """Counts for one drain run.

    `received`: messages received (a redelivered one counts again); `stored`: new reports
    committed; `grouped`: of those, linked to an earlier report with the same URLs;
    `already`: reports already stored (a redelivery), deleted again; `conflicts`: messages
    whose `report_id` is stored with other content, kept for an analyst then deleted;
    `unopened`: distinct messages left on the queue for the dead-letter queue, by reason in
    `reasons` (``version``, ``size``, ``header``, ``sealed``, ``plaintext``, ``clock`` from
    `reportal.inbox.guard`; ``store``: the store refused that one report; ``unexpected``:
    any other error while opening it); `not_deleted`: stored but the delete failed
    (they come back and are recognized); `queue_errors`: failed calls to SQS, retried.
    """

    received: int = 0
    stored: int = 0
    grouped: int = 0
    already: int = 0
    conflicts: int = 0
    unopened: int = 0
    not_deleted: int = 0
    queue_errors: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    _poison: set[str] = field(default_factory=set, repr=False)

    def summary(self) -> str:
        """One plain line: every count, no content."""
        why = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()))
        return (f"received {self.received}, stored {self.stored} ({self.grouped} grouped as duplicates), "
                f"already stored {self.already}, conflicting {self.conflicts}, could not open {self.unopened}"
                + (f" ({why})" if why else "") + " left on the queue for the dead-letter queue, "
                f"not deleted {self.not_deleted}, queue errors {self.queue_errors}")


def drain(sqs: Any, queue_url: str, identities: list, store: Store, once: bool = True,
          wait_seconds: int = LONG_POLL_SECONDS, stats: DrainStats | None = None,
          on_stored: Callable[[dict[str, Any]], None] | None = None,
          should_stop: Callable[[], bool] = lambda: False,
          on_progress: Callable[[DrainStats], None] | None = None,
          receivers: int = RECEIVERS) -> DrainStats:
    """Receive batches of 10 on `receivers` threads with long polling (`wait_seconds`, ≤ 20),
    store them in this thread (one transaction for what arrived meanwhile, up to `receivers`
    batches), then delete them on as many delete threads. `store` is used only from the
    calling thread (SQLite connections belong to their thread).

    Received messages stay invisible on the queue for its VisibilityTimeout (60 s,
    infra/backend.yaml) until deleted, so at most 50 × `receivers` are in flight: 10 per
    receiver waiting to hand a batch over, 10 × `receivers` in the buffer, as many being
    committed, and 20 × `receivers` committed and waiting for their delete (the writer waits
    for deletes beyond that). For 4 receivers that is 200 messages, a fraction of a second of
    work at the writer's ~1,600 reports/s (docs/performance.md).

    With `once`, stop when every receiver has had a receive that brought nothing new (empty,
    or only messages already counted as unopened in this run) and raise SQS errors; otherwise
    run until `should_stop()` (checked after every commit and every 50 ms while idle) and
    retry SQS errors with backoff.
    On return every delete asked for has been answered. `on_stored` is called with each newly
    stored report after its commit; `on_progress` with the stats after every commit and once
    at the end. Raises `sqlite3.Error` (then nothing of that transaction was deleted, and it
    will be received again); on any exception, including `KeyboardInterrupt`, the receivers
    stop and nothing not committed is deleted. Raises `ValueError` if `receivers` < 1.
    """
    stats = stats or DrainStats()
    intake = Receivers(sqs, queue_url, receivers, wait_seconds, once,
                       seen_poison=lambda message: message.get("MessageId") in stats._poison)
    deleters = ThreadPoolExecutor(max_workers=receivers, thread_name_prefix="reportal-delete")
    pending: list[tuple[Future, int]] = []
    intake.start()
    try:
        while not should_stop():
            items = intake.take(receivers, _TAKE_SECONDS)
            if items is None:
                break
            messages: list[dict[str, Any]] = []
            for item in items:
                if isinstance(item, BaseException):
                    if isinstance(item, (BotoCoreError, ClientError)):
                        stats.queue_errors += 1
                        if not once:
                            continue
                    raise item
                messages.extend(item)
            if messages:
                stats.received += len(messages)
                handles, new = _store(identities, store, messages, stats)  # committed on return
                for start in range(0, len(handles), BATCH):
                    chunk = handles[start:start + BATCH]
                    pending.append((deleters.submit(_delete, sqs, queue_url, chunk), len(chunk)))
                for report in new if on_stored else []:
                    on_stored(report)  # type: ignore[misc]
            _settle(pending, stats, once, keep=2 * receivers)
            if messages and on_progress:
                on_progress(stats)
        intake.stop()
        _settle(pending, stats, once, keep=0)
    finally:
        intake.stop()
        deleters.shutdown(wait=False, cancel_futures=True)  # after an error: committed ones come back
    if on_progress:
        on_progress(stats)
    return stats


def _open(message: dict[str, Any], identities: list) -> dict[str, Any]:
    """`open_message`, with any other exception turned into `Refused("unexpected")`: a bug
    met by one message must not end the drain or take the other messages with it."""
    try:
        return open_message(message, identities)
    except Refused:
        raise
    except Exception:  # counted by reason; the message stays for the dead-letter queue
        raise Refused("unexpected") from None


def _store(identities: list, store: Store, messages: list[dict[str, Any]],
           stats: DrainStats) -> tuple[list[str], list[dict[str, Any]]]:
    """Open and check `messages`, commit the reports in one transaction; count poison once per
    message. Return the receipt handles that may now be deleted and the newly stored reports.

    If the store refuses the batch for a reason other than the database (`_DATABASE`), each
    report is stored alone and only the one it refuses stays on the queue (reason ``store``)."""
    opened: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for message in messages:
        try:
            opened.append((message, _open(message, identities)))
        except Refused as poison:
            _poison(stats, message, poison.reason)
    if not opened:
        return [], []
    try:
        added = store.add_many([report for _, report in opened])  # committed here; only now may they go
    except _DATABASE:
        raise
    except (sqlite3.Error, ValueError, TypeError, KeyError, OverflowError):
        return _store_one_by_one(store, opened, stats)
    _count(stats, added)
    return [message["ReceiptHandle"] for message, _ in opened], added.new


def _store_one_by_one(store: Store, opened: list[tuple[dict[str, Any], dict[str, Any]]],
                      stats: DrainStats) -> tuple[list[str], list[dict[str, Any]]]:
    handles, new = [], []
    for message, report in opened:
        try:
            added = store.add_many([report])
        except _DATABASE:
            raise
        except (sqlite3.Error, ValueError, TypeError, KeyError, OverflowError):
            _poison(stats, message, "store")
            continue
        _count(stats, added)
        handles.append(message["ReceiptHandle"])
        new += added.new
    return handles, new


def _count(stats: DrainStats, added: Any) -> None:
    stats.stored += len(added.new)
    stats.grouped += sum(1 for r in added.new if r["duplicate_of"])
    stats.already += added.already
    stats.conflicts += added.conflicts


def _poison(stats: DrainStats, message: dict[str, Any], reason: str) -> None:
    """Count a message left on the queue, once per message id per run."""
    if message.get("MessageId") not in stats._poison:
        stats._poison.add(message.get("MessageId"))
        stats.unopened += 1
        stats.reasons[reason] = stats.reasons.get(reason, 0) + 1


def _settle(pending: list[tuple[Future, int]], stats: DrainStats, once: bool, keep: int) -> None:
    """Count the answered deletes of `pending`, oldest first, and remove them from it, waiting
    for answers while more than `keep` remain (so committed messages do not pile up in flight
    when deletes are slow). A failed call counts as a queue error and its messages as not
    deleted (they are stored; they come back and are recognized); with `once` it is raised."""
    while pending and (len(pending) > keep or pending[0][0].done()):
        future, size = pending.pop(0)
        try:
            stats.not_deleted += future.result()
        except (BotoCoreError, ClientError):
            stats.queue_errors += 1
            stats.not_deleted += size
            if once:
                raise


def _delete(sqs: Any, queue_url: str, handles: list[str]) -> int:
    """DeleteMessageBatch, retrying once the entries that failed on SQS's side; return how
    many could not be deleted. The call succeeds even when entries fail (SQS API reference,
    DeleteMessageBatch: check `Failed`)."""
    pending = {str(i): h for i, h in enumerate(handles)}
    lost = 0
    for attempt in (1, 2):
        answer = sqs.delete_message_batch(
            QueueUrl=queue_url, Entries=[{"Id": i, "ReceiptHandle": h} for i, h in pending.items()])
        failed = [f for f in answer.get("Failed", []) if f.get("Id") in pending]
        retry = {f["Id"]: pending[f["Id"]] for f in failed if not f.get("SenderFault")}
        lost += len(failed) - (len(retry) if attempt == 1 else 0)
        if not retry:
            break
        pending = retry
    return lost
