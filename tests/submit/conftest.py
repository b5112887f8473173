"""Helpers for the submission function's tests: stored events, queued reports, a stub queue."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> dict[str, Any]:
    """A Function URL event (payload 2.0) stored in tests/events/<name>.json."""
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


def queued_reports(sqs: Any, queue_url: str, identity_file: Path) -> list[dict[str, Any]]:
    """Every report on the queue, opened with the test identity."""
    from reportal.envelope import load_identities, open_envelope

    identities = load_identities(identity_file)
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [open_envelope(m["Body"], identities) for m in messages]


class StubQueue:
    """An SQS client stand-in that records `send_message` calls (for runs of thousands)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.sent.append(kwargs)
        return {"MessageId": f"m-{len(self.sent)}"}


@pytest.fixture
def event_named():
    """Return a deep copy of a stored event, so tests may change it."""
    return lambda name: copy.deepcopy(load_event(name))
