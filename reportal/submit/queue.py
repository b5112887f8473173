"""Put a sealed envelope on the SQS queue."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reportal.envelope import ENVELOPE_VERSION
from reportal.submit.form import QueueUnavailable

__all__ = ["send_envelope"]


def send_envelope(sqs: Any, queue_url: str, body: str) -> str:
    """Send one envelope (ASCII base64 `body`) with the single attribute ``v=1``; return the
    SQS MessageId. Raises `QueueUnavailable` on any AWS or network error, or if SQS did not
    acknowledge the message: the reporter must not be thanked then."""
    try:
        answer = sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageAttributes={"v": {"DataType": "String", "StringValue": ENVELOPE_VERSION}},
        )
    except (BotoCoreError, ClientError) as exc:
        raise QueueUnavailable(type(exc).__name__) from None
    message_id = answer.get("MessageId")
    if not message_id:
        raise QueueUnavailable("no MessageId")
    return message_id
