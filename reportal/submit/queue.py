"""Put a sealed envelope on the SQS queue, within one deadline.

botocore's timeouts are per connection and per socket read, and it retries: a queue that
answers nothing waits 2 × (2 s + 3 s), and one that trickles a byte now and then is never
timed out at all. So the call runs on a worker thread and the reporter's request waits for it
at most `SEND_DEADLINE_SECONDS`, well below the function's 10 s timeout (infra/backend.yaml;
a test holds them apart), leaving time to render the 503 page with what was typed. A send
still running then may yet succeed: the report is queued and the reporter, told to try
again, may send it twice; the inbox groups the copies (never the other way round: nobody is
thanked for a report that was not queued).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reportal.envelope import MESSAGE_ATTRIBUTES
from reportal.submit.form import QueueUnavailable

__all__ = ["SEND_DEADLINE_SECONDS", "send_envelope"]

SEND_DEADLINE_SECONDS = 6.0
# Lambda serves one request at a time per instance; a few workers let later requests go on
# while a stuck send waits out botocore's own timeouts.
_SENDERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="reportal-send")


def send_envelope(sqs: Any, queue_url: str, body: str, deadline: float = SEND_DEADLINE_SECONDS) -> str:
    """Send one envelope (ASCII base64 `body`) with the single attribute ``v=1``; return the
    SQS MessageId. Raises `QueueUnavailable` on any AWS or network error, if SQS did not
    acknowledge the message, or if it has not answered within `deadline` seconds: the
    reporter must not be thanked then."""
    call = _SENDERS.submit(sqs.send_message, QueueUrl=queue_url, MessageBody=body,
                           MessageAttributes=MESSAGE_ATTRIBUTES)
    try:
        answer = call.result(timeout=deadline)
    except FutureTimeout:
        raise QueueUnavailable("deadline") from None
    except (BotoCoreError, ClientError) as exc:
        raise QueueUnavailable(type(exc).__name__) from None
    message_id = answer.get("MessageId") if isinstance(answer, dict) else None
    if not message_id:
        raise QueueUnavailable("no MessageId")
    return message_id
