"""The AWS pieces that `reportal serve`, the tests and the bench stand in for on one machine.

`function_url_event` turns one HTTP request into the event a Lambda Function URL delivers;
`create_queues` makes the queue and its dead-letter queue on any SQS endpoint (moto) with the
attributes infra/backend.yaml gives them. Imports nothing heavy (no moto, no boto3).
"""
from __future__ import annotations

import base64
import socket
import time
import uuid
from typing import Any

__all__ = ["create_queues", "free_port", "function_url_event", "queue_properties"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def function_url_event(method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """A Lambda Function URL event (payload format 2.0) for one request; body base64-encoded."""
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "anonymous", "apiId": "preview", "domainName": "localhost",
            "domainPrefix": "localhost", "requestId": str(uuid.uuid4()), "routeKey": "$default",
            "stage": "$default", "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
        },
        "body": base64.b64encode(body).decode("ascii"), "isBase64Encoded": True,
    }


def queue_properties() -> dict[str, dict[str, Any]]:
    """The queues as infra/backend.yaml declares them, by logical id: CloudFormation `Properties`
    of `DeadLetterQueue` and `ReportQueue` (the latter's RedrivePolicy names the former's ARN,
    given here as None). tests/infra/test_templates.py holds this equal to the template, so the
    preview's and the tests' queues are the deployed ones: SSE-SQS, 14 days' retention (the SQS
    maximum; the inbox may be offline for a fortnight), 1 MiB messages (a 64 KiB form's envelope
    always fits), a 60 s visibility timeout, dead-lettered after 5 receives."""
    from reportal.envelope import SQS_MAX_MESSAGE_BYTES

    retention = 14 * 24 * 3600
    return {
        "DeadLetterQueue": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": retention,
                            "MaximumMessageSize": SQS_MAX_MESSAGE_BYTES},
        "ReportQueue": {"SqsManagedSseEnabled": True, "MessageRetentionPeriod": retention,
                        "MaximumMessageSize": SQS_MAX_MESSAGE_BYTES, "VisibilityTimeout": 60,
                        "RedrivePolicy": {"deadLetterTargetArn": None, "maxReceiveCount": 5}},
    }


def _attributes(properties: dict[str, Any], dead_letter_arn: str | None = None) -> dict[str, str]:
    """CloudFormation queue properties as SQS CreateQueue attributes (all strings)."""
    import json

    out = {}
    for name, value in properties.items():
        if name == "RedrivePolicy":
            value = json.dumps({**value, "deadLetterTargetArn": dead_letter_arn})
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def create_queues(sqs: Any, name: str) -> str:
    """Create the queue `name` and its dead-letter queue `name-dlq` on `sqs` (any endpoint: moto)
    with `queue_properties()`, as infra/backend.yaml does; return the queue URL."""
    properties = queue_properties()
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq",
                               Attributes=_attributes(properties["DeadLetterQueue"]))["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs.create_queue(QueueName=name, Attributes=_attributes(properties["ReportQueue"], dlq_arn))["QueueUrl"]
