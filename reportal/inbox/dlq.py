"""Dead letters: reports the inbox could not open (or whose deletion failed five times) wait in
the dead-letter queue for 14 days from when they were first sent. `dlq list` shows how many
and how old, never what they hold; `dlq redrive` moves them back to the report queue once the
cause is fixed (for instance an identity added with `--identity`).

The dead-letter queue is found from the report queue's redrive policy. Redrive starts SQS's
message move task; where the service lacks it (moto, some emulators) it falls back to
receive ▸ send to the report queue ▸ delete, which loses nothing: a letter is deleted only after
its copy was accepted, and a copy sent twice is stored once (the inbox is idempotent on
`report_id`).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable

from botocore.exceptions import ClientError

from reportal.aws_errors import AwsProblem

__all__ = ["DeadLetters", "RETENTION_SECONDS", "dead_letter_queue", "list_dead_letters", "redrive"]

RETENTION_SECONDS = 14 * 24 * 3600  # both queues' MessageRetentionPeriod (infra/backend.yaml)
_PEEK_SECONDS = 30  # how long a peeked letter stays hidden if we could not hand it back at once
_PEEK_MAX = 10_000
# Answers meaning "this service has no message move task": SQS's own code, and what emulators
# without the action answer (moto: HTTP 500 "not implemented").
_NO_MOVE_TASK = {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", "InvalidAction",
                 "NotImplemented", "501", "500", "InternalFailure"}


@dataclass
class DeadLetters:
    """Counts and ages (seconds) of the dead-letter queue; ages from each letter's SentTimestamp
    (when the function first sent it). `ages` holds at most `_PEEK_MAX` letters."""

    queue_url: str
    visible: int
    in_flight: int
    ages: list[float]

    def summary(self) -> str:
        """One line: count, oldest and newest age, and how soon the oldest expires."""
        if not self.visible and not self.in_flight:
            return "no dead letters"
        text = f"{self.visible} dead letter(s) waiting" + (f", {self.in_flight} being handled" if self.in_flight else "")
        if self.ages:
            oldest, newest = max(self.ages), min(self.ages)
            text += (f"; oldest {_duration(oldest)}, newest {_duration(newest)}; the oldest expires in "
                     f"{_duration(max(RETENTION_SECONDS - oldest, 0))} (14 days after it was sent)")
        return text


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    return f"{days} d {hours} h" if days else f"{hours} h {minutes} min" if hours else f"{minutes} min"


def dead_letter_queue(sqs: Any, queue_url: str) -> tuple[str, str, str]:
    """(dead-letter queue URL, its ARN, the report queue's ARN) from the queue's redrive policy.
    Raises LookupError when the queue has none."""
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy", "QueueArn"])["Attributes"]
    if not attrs.get("RedrivePolicy"):
        raise LookupError("this queue has no redrive policy, so no dead-letter queue: is it the report queue "
                          "(the deploy's QueueUrl output)?")
    target = json.loads(attrs["RedrivePolicy"])["deadLetterTargetArn"]
    _, _, _, _, account, name = target.split(":", 5)
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    return url, target, attrs["QueueArn"]


def list_dead_letters(sqs: Any, queue_url: str, *, now: Callable[[], float] = time.time) -> DeadLetters:
    """Count the dead letters and measure their ages, without reading what they hold.

    Ages come from peeking: each letter is received with its SentTimestamp and handed back at
    once (visibility 0), never printed or kept."""
    dlq_url, _, _ = dead_letter_queue(sqs, queue_url)
    counts = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    ages: dict[str, float] = {}
    handles: list[str] = []
    try:
        while len(ages) < _PEEK_MAX:
            got = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=_PEEK_SECONDS,
                                      WaitTimeSeconds=0, MessageSystemAttributeNames=["SentTimestamp"]).get("Messages", [])
            handles += [m["ReceiptHandle"] for m in got]
            fresh = [m for m in got if m["MessageId"] not in ages]
            if not fresh:
                break
            for message in fresh:
                sent = int(message.get("Attributes", {}).get("SentTimestamp", "0")) / 1000
                ages[message["MessageId"]] = max(now() - sent, 0.0)
    finally:
        for start in range(0, len(handles), 10):  # hand every peeked letter back at once
            sqs.change_message_visibility_batch(QueueUrl=dlq_url, Entries=[
                {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                for i, h in enumerate(handles[start:start + 10])])
    return DeadLetters(dlq_url, int(counts.get("ApproximateNumberOfMessages", 0)),
                       int(counts.get("ApproximateNumberOfMessagesNotVisible", 0)), list(ages.values()))


def redrive(sqs: Any, queue_url: str, *, out: Callable[[str], None] = print) -> tuple[str, int]:
    """Move every dead letter back to the report queue; return (method, letters moved by us).

    method "move-task": SQS moves them in the background (count 0 here: `dlq list` shows progress);
    method "copy": received, sent to the report queue, then deleted, ten at a time."""
    dlq_url, dlq_arn, queue_arn = dead_letter_queue(sqs, queue_url)
    try:
        handle = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=queue_arn)["TaskHandle"]
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        if error.get("Code") not in _NO_MOVE_TASK and status not in ("500", "501"):
            raise
        out("this queue service has no message move task; moving the letters one by one")
        return "copy", _copy_back(sqs, dlq_url, queue_url)
    out(f"SQS is moving the dead letters back (move task {handle[:24]}…); `reportal inbox dlq list` shows what is left")
    return "move-task", 0


def _copy_back(sqs: Any, dlq_url: str, queue_url: str) -> int:
    """Receive ▸ send ▸ delete until the dead-letter queue answers empty; a letter whose copy the
    report queue refused is left where it is (it reappears after the visibility timeout)."""
    moved = 0
    while True:
        got = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0,
                                  MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            return moved
        entries = []
        for i, message in enumerate(got):
            attributes = {name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
                          for name, value in message.get("MessageAttributes", {}).items()}
            entries.append({"Id": str(i), "MessageBody": message["Body"], **({"MessageAttributes": attributes}
                                                                              if attributes else {})})
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        accepted = [got[int(s["Id"])] for s in sent.get("Successful", [])]
        if accepted:
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(accepted)])
        moved += len(accepted)
        if sent.get("Failed"):
            raise AwsProblem(f"the report queue refused {len(sent['Failed'])} letter(s) "
                               f"({sent['Failed'][0].get('Code')}); they stay in the dead-letter queue")
