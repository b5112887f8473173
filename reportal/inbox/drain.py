"""Drain the queue: receive ▸ open ▸ store (commit) ▸ delete. Never delete before commit.

A message that cannot be opened or parsed is left on the queue: after the queue's
`maxReceiveCount` (5) SQS moves it to the dead-letter queue. It is counted, never deleted.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from reportal.envelope import EnvelopeError, load_identities, open_envelope
from reportal.inbox.store import Store

__all__ = ["DrainStats", "drain", "drain_command", "valid_report"]

_REQUIRED = {"report_id": str, "received_at": str, "portal": str, "lang": str, "urls": list}


@dataclass
class DrainStats:
    """Counts for one drain: messages `received`, reports `stored` (new), `duplicates`
    (already stored, deleted again), `unopened` (left for the dead-letter queue)."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    unopened: int = 0


def valid_report(report: dict[str, Any]) -> bool:
    """True if an opened plaintext has the envelope v1 fields with the right types."""
    return all(isinstance(report.get(k), t) for k, t in _REQUIRED.items()) and all(
        isinstance(u, dict) and isinstance(u.get("normalized"), str) for u in report["urls"])


def drain(sqs: Any, queue_url: str, identities: list, store: Store, once: bool = True,
          wait_seconds: int = 1, stats: DrainStats | None = None,
          on_stored: Callable[[dict[str, Any]], None] | None = None,
          should_stop: Callable[[], bool] = lambda: False) -> DrainStats:
    """Receive batches of 10 (SQS ReceiveMessage maximum), store, then delete.

    With `once`, stop at the first empty receive; otherwise run until `should_stop()`.
    `on_stored` is called with each newly stored report. Raises boto3 errors (nothing deleted).
    """
    stats = stats or DrainStats()
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                     WaitTimeSeconds=wait_seconds, MessageAttributeNames=["All"])
        messages = answer.get("Messages", [])
        if not messages:
            if once or should_stop():
                return stats
            continue
        stats.received += len(messages)
        opened, handles = [], []
        for message in messages:
            try:
                report = open_envelope(message["Body"], identities)
            except EnvelopeError:
                stats.unopened += 1
                continue
            if not valid_report(report):
                stats.unopened += 1
                continue
            opened.append(report)
            handles.append(message["ReceiptHandle"])
        if opened:
            new = store.add_many(opened, on_stored)
            stats.stored += new
            stats.duplicates += len(opened) - new
            _delete(sqs, queue_url, handles)


def _delete(sqs: Any, queue_url: str, handles: list[str]) -> None:
    entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]
    answer = sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    failed = answer.get("Failed", [])
    if failed:  # stored already; the message will come back and be recognized as stored
        print(f"warning: {len(failed)} message(s) not deleted; they will be received again",
              file=sys.stderr)


def drain_command(queue_url: str | None, identity: Path, db: Path, once: bool) -> int:
    """`reportal inbox drain`: returns the exit code; prints a summary line."""
    import boto3

    queue_url = queue_url or os.environ.get("REPORTAL_QUEUE_URL")
    if not queue_url:
        print("error: give --queue-url or set REPORTAL_QUEUE_URL", file=sys.stderr)
        return 2
    store = Store(db)
    try:
        stats = drain(boto3.client("sqs"), queue_url, load_identities(identity), store, once=once,
                      wait_seconds=1 if once else 20)
    except KeyboardInterrupt:
        return 130
    finally:
        store.close()
    print(f"received {stats.received}, stored {stats.stored}, already stored {stats.duplicates}, "
          f"could not open {stats.unopened} (left for the dead-letter queue)")
    return 0
