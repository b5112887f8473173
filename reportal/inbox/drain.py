"""Drain the queue: receive ▸ open ▸ check ▸ store (commit) ▸ delete. Never delete before commit.

SQS delivers each message at least once, so a report may arrive twice, or come back after a
crash between commit and delete: the store skips ids it holds and the copy is deleted then.
A message that cannot be opened or checked is left on the queue, never deleted: after the
queue's `maxReceiveCount` (5, infra/backend.yaml) SQS moves it to the dead-letter queue.
It is counted (once per message per run) by reason; nothing of its content is printed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from botocore.exceptions import BotoCoreError, ClientError

from reportal.envelope import ENVELOPE_VERSION, EnvelopeError, check_plaintext, open_envelope
from reportal.inbox.store import Store

__all__ = ["BATCH", "LONG_POLL_SECONDS", "DrainStats", "Unopenable", "drain", "open_message"]

BATCH = 10  # SQS ReceiveMessage / DeleteMessageBatch maximum entries per call
LONG_POLL_SECONDS = 20  # SQS ReceiveMessage WaitTimeSeconds maximum
_MAX_BACKOFF_SECONDS = 60.0


@dataclass
class DrainStats:
    """Counts for one drain run.

    `received`: messages received (a redelivered one counts again); `stored`: new reports
    committed; `grouped`: of those, linked to an earlier report with the same URLs;
    `already`: reports already stored (a redelivery), deleted again; `unopened`: distinct
    messages left on the queue for the dead-letter queue, by reason in `reasons`
    (``version``, ``sealed``, ``plaintext``); `not_deleted`: stored but the delete failed
    (they come back and are recognized); `queue_errors`: failed calls to SQS, retried.
    """

    received: int = 0
    stored: int = 0
    grouped: int = 0
    already: int = 0
    unopened: int = 0
    not_deleted: int = 0
    queue_errors: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    _poison: set[str] = field(default_factory=set, repr=False)

    def summary(self) -> str:
        """One plain line: every count, no content."""
        why = ", ".join(f"{k} {v}" for k, v in sorted(self.reasons.items()))
        return (f"received {self.received}, stored {self.stored} ({self.grouped} grouped as duplicates), "
                f"already stored {self.already}, could not open {self.unopened}"
                + (f" ({why})" if why else "") + " left on the queue for the dead-letter queue, "
                f"not deleted {self.not_deleted}, queue errors {self.queue_errors}")


class Unopenable(Exception):
    """A message cannot be opened or is not envelope v1; `reason` is ``version``, ``sealed``
    or ``plaintext``. It stays on the queue."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def open_message(message: dict[str, Any], identities: list) -> dict[str, Any]:
    """Open one SQS message (as ReceiveMessage returns it with ``MessageAttributeNames=["v"]``)
    and check its plaintext; return the report. Raises `Unopenable` with the reason
    (``version``: attribute ``v`` is not ``1``; ``sealed``: no identity opens it;
    ``plaintext``: not envelope v1)."""
    version = (message.get("MessageAttributes") or {}).get("v", {}).get("StringValue")
    if version != ENVELOPE_VERSION:
        raise Unopenable("version")
    try:
        report = open_envelope(message.get("Body", ""), identities)
    except EnvelopeError:
        raise Unopenable("sealed") from None
    try:
        return check_plaintext(report)
    except EnvelopeError:
        raise Unopenable("plaintext") from None


def drain(sqs: Any, queue_url: str, identities: list, store: Store, once: bool = True,
          wait_seconds: int = LONG_POLL_SECONDS, stats: DrainStats | None = None,
          on_stored: Callable[[dict[str, Any]], None] | None = None,
          should_stop: Callable[[], bool] = lambda: False,
          on_progress: Callable[[DrainStats], None] | None = None) -> DrainStats:
    """Receive batches of 10 with long polling (`wait_seconds`, ≤ 20), store, then delete.

    With `once`, stop when a receive brings nothing new (empty, or only messages already
    counted as unopened in this run) and raise SQS errors; otherwise run until
    `should_stop()` (checked after every receive) and retry SQS errors with backoff.
    `on_stored` is called with each newly stored report after its commit; `on_progress`
    with the stats after every batch. Raises `sqlite3.Error` (then nothing of that batch
    was deleted, and it will be received again).
    """
    stats = stats or DrainStats()
    backoff = 1.0
    while not should_stop():
        try:
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH,
                                         WaitTimeSeconds=wait_seconds, MessageAttributeNames=["v"])
        except (BotoCoreError, ClientError):
            stats.queue_errors += 1
            if once:
                raise
            time.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
            continue
        backoff = 1.0
        messages = answer.get("Messages", [])
        stats.received += len(messages)
        fresh = _handle_batch(sqs, queue_url, identities, store, messages, stats, once, on_stored)
        if on_progress:
            on_progress(stats)
        if once and not fresh:
            break
    return stats


def _handle_batch(sqs: Any, queue_url: str, identities: list, store: Store, messages: list[dict[str, Any]],
                  stats: DrainStats, once: bool, on_stored: Callable[[dict[str, Any]], None] | None) -> bool:
    """Open, store and delete one batch; return True if it held a message not seen as poison."""
    reports, handles, fresh = [], [], False
    for message in messages:
        try:
            reports.append(open_message(message, identities))
            handles.append(message["ReceiptHandle"])
            fresh = True
        except Unopenable as poison:
            if message["MessageId"] not in stats._poison:
                stats._poison.add(message["MessageId"])
                stats.unopened += 1
                stats.reasons[poison.reason] = stats.reasons.get(poison.reason, 0) + 1
                fresh = True
    if not reports:
        return fresh
    added = store.add_many(reports)  # committed here; only now may the messages go
    stats.stored += len(added.new)
    stats.grouped += sum(1 for r in added.new if r["duplicate_of"])
    stats.already += added.already
    try:
        stats.not_deleted += _delete(sqs, queue_url, handles)
    except (BotoCoreError, ClientError):
        stats.queue_errors += 1
        stats.not_deleted += len(handles)  # stored; they come back and are recognized
        if once:
            raise
    for report in added.new if on_stored else []:
        on_stored(report)  # type: ignore[misc]
    return fresh


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
