"""Fixtures for the inbox tests: recipients, a moto server on a free port (helpers: tests/support.py)."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support import atomic_moto_queue


@pytest.fixture
def recipients(identity_file: Path) -> list:
    """The parsed recipient of `identity_file`."""
    from reportal.envelope import parse_recipients, recipient_of

    return parse_recipients([recipient_of(identity_file)])


def _fast_moto_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's SQS reads the clock through datetime arithmetic for every message on every call
    (O(queue length)); with 1,000 messages one ReceiveMessage took ~1.5 s. Same values from
    `time.time()`, about 7x faster; behaviour unchanged."""
    import moto.sqs.models as sqs_models

    unix_time, unix_time_millis = sqs_models.unix_time, sqs_models.unix_time_millis
    monkeypatch.setattr(sqs_models, "unix_time", lambda dt=None: time.time() if dt is None else unix_time(dt))
    monkeypatch.setattr(sqs_models, "unix_time_millis",
                        lambda dt=None: time.time() * 1000.0 if dt is None else unix_time_millis(dt))


@pytest.fixture
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto server (its own thread, this process) on 127.0.0.1 and a free port; yields its URL."""
    from moto.server import ThreadedMotoServer

    _fast_moto_clock(monkeypatch)
    atomic_moto_queue(monkeypatch)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
