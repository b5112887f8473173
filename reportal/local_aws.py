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

__all__ = ["create_queues", "free_port", "function_url_event"]


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


def create_queues(sqs: Any, name: str) -> str:
    """Create the queue and its dead-letter queue as infra/backend.yaml does (SSE-SQS,
    maxReceiveCount 5, 14 days' retention, 1 MiB messages); return the queue URL."""
    import json

    from reportal.envelope import SQS_MAX_MESSAGE_BYTES

    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq", Attributes={
        "MessageRetentionPeriod": str(14 * 24 * 3600), "SqsManagedSseEnabled": "true",
        "MaximumMessageSize": str(SQS_MAX_MESSAGE_BYTES)})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs.create_queue(QueueName=name, Attributes={
        "SqsManagedSseEnabled": "true", "VisibilityTimeout": "60",
        "MessageRetentionPeriod": str(14 * 24 * 3600), "MaximumMessageSize": str(SQS_MAX_MESSAGE_BYTES),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}),
    })["QueueUrl"]
