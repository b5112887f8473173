"""Receivers: threads that long-poll SQS and feed a small bounded buffer for the one writer.

Receiving is the slow part of draining a remote queue (one round trip of 10–50 ms per batch
of at most 10 from the hotline's premises), so several receivers keep requests in flight while
the writer opens and commits. They only receive: nothing here stores, deletes or looks into a
message, and an error is handed to the writer as an item of the buffer, never printed.

Messages waiting in the buffer are invisible on the queue for its VisibilityTimeout (60 s,
infra/backend.yaml) and must be committed and deleted well within it, so the buffer is small:
at most `count` batches of 10, plus one held by each receiver blocked on it (the whole
in-flight bound is in `reportal.inbox.drain.drain`).
"""
from __future__ import annotations

import queue
import threading
import time
from typing import Any, Callable, Union

from botocore.exceptions import BotoCoreError, ClientError

from reportal.envelope import VERSION_ATTRIBUTE

__all__ = ["BATCH", "LONG_POLL_SECONDS", "Item", "Receivers"]

BATCH = 10  # SQS ReceiveMessage / DeleteMessageBatch maximum entries per call
LONG_POLL_SECONDS = 20  # SQS ReceiveMessage WaitTimeSeconds maximum
_MAX_BACKOFF_SECONDS = 60.0
_PUT_SECONDS = 0.1  # how often a receiver blocked on a full buffer looks whether it must stop

Item = Union[list, BaseException]  # a received batch (non-empty list of messages) or an error


class Receivers:
    """`count` daemon threads calling ReceiveMessage (10 messages, `wait_seconds` long poll,
    attribute ``v``) on `queue_url` with the thread-safe botocore client `sqs`.

    Each non-empty batch goes into a buffer of at most `count` batches. An SQS error
    (`BotoCoreError`, `ClientError`) goes in as the exception: with `once` that receiver then
    ends, otherwise it retries with exponential backoff (1 s doubling to 60 s). Any other
    exception goes in and ends that receiver. With `once` a receiver also ends after a receive
    that brought nothing new: no message, or only messages for which `seen_poison(message)` is
    true (left on the queue and already counted by the writer). Without `once` they run until
    `stop()`.
    """

    def __init__(self, sqs: Any, queue_url: str, count: int, wait_seconds: int, once: bool,
                 seen_poison: Callable[[dict[str, Any]], bool]):
        if count < 1:
            raise ValueError("at least one receiver")
        self._sqs, self._queue_url, self._wait, self._once = sqs, queue_url, wait_seconds, once
        self._seen_poison = seen_poison
        self._buffer: queue.Queue[Item] = queue.Queue(maxsize=count)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"reportal-receive-{i}", daemon=True)
                         for i in range(count)]

    def start(self) -> None:
        """Start every receiver thread."""
        for thread in self._threads:
            thread.start()

    def stop(self, join_seconds: float = 1.0) -> None:
        """Ask every receiver to end and wait up to `join_seconds` in all for those between
        calls (a receiver inside a long poll ends when it returns). Messages they hold or that
        wait in the buffer are dropped: never stored nor deleted, they come back on the queue
        after its visibility timeout."""
        self._stop.set()
        deadline = time.monotonic() + join_seconds
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def take(self, max_items: int, timeout: float) -> list[Item] | None:
        """Up to `max_items` items from the buffer, waiting up to `timeout` seconds for the
        first: `[]` if none came in time, `None` once every receiver has ended and the buffer
        is empty (with `once`: the queue had nothing new for any of them)."""
        try:
            items = [self._buffer.get(timeout=timeout)]
        except queue.Empty:
            ended = not any(thread.is_alive() for thread in self._threads)
            return None if ended and self._buffer.empty() else []  # ended first: no put can follow
        while len(items) < max_items:
            try:
                items.append(self._buffer.get_nowait())
            except queue.Empty:
                break
        return items

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                answer = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=BATCH,
                                                   WaitTimeSeconds=self._wait, MessageAttributeNames=[VERSION_ATTRIBUTE],
                                                   MessageSystemAttributeNames=["SentTimestamp"])
            except (BotoCoreError, ClientError) as exc:
                if self._stop.is_set() or not self._put(exc) or self._once:
                    return
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_SECONDS)
                continue
            except BaseException as exc:  # a bug or the interpreter ending: the writer decides
                if not self._stop.is_set():
                    self._put(exc)
                return
            backoff = 1.0
            messages = answer.get("Messages", [])
            if messages and not self._put(messages):
                return
            if self._once and all(self._seen_poison(m) for m in messages):
                return

    def _put(self, item: Item) -> bool:
        """Put `item` in the buffer, waiting while it is full; False if stopped meanwhile."""
        while not self._stop.is_set():
            try:
                self._buffer.put(item, timeout=_PUT_SECONDS)
                return True
            except queue.Full:
                continue
        return False
