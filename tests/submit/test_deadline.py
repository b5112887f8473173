"""One deadline for the SQS send, below the function's timeout (issue 13): a silent or trickling
queue gets the reporter the 503 page with what they typed, never a gateway timeout."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

import reportal.submit.queue as queue
from reportal.submit.form import QueueUnavailable
from tests.support import ROOT, form_event

RENDER_MARGIN_SECONDS = 2.0  # a cold 503 page (Jinja, a catalog) and Lambda's own overhead


class SilentQueue:
    """An SQS client whose SendMessage never answers until released (a stalled or trickling queue)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.calls += 1
        self.release.wait(30)
        return {"MessageId": "late"}


def test_the_send_deadline_leaves_the_function_time_to_answer() -> None:
    template = cfn_yaml.loads((ROOT / "infra" / "backend.yaml").read_text(encoding="utf-8"), "backend.yaml")
    timeout = template["Resources"]["SubmitFunction"]["Properties"]["Timeout"]
    assert queue.SEND_DEADLINE_SECONDS + RENDER_MARGIN_SECONDS <= timeout


def test_a_silent_queue_is_given_up_at_the_deadline() -> None:
    silent = SilentQueue()
    start = time.monotonic()
    try:
        queue.send_envelope(silent, "https://q", "Ym9keQ==", deadline=0.2)
    except QueueUnavailable as exc:
        assert str(exc) == "deadline"
    else:
        raise AssertionError("thanked without an answer from the queue")
    finally:
        silent.release.set()
    assert silent.calls == 1 and time.monotonic() - start < 5


def test_the_reporter_gets_the_503_page_with_what_they_typed(built: dict[str, Path], identity_file: Path,
                                                               monkeypatch) -> None:
    from reportal.envelope import recipient_of
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    # GIVEN a queue that never answers, and a deadline made short for the test
    monkeypatch.setattr(queue.send_envelope, "__defaults__", (0.2,))
    silent = SilentQueue()
    handler = make_handler(Settings(queue_url="https://q", recipients=(recipient_of(identity_file),),
                                    data_dir=built["function"]), silent)
    try:
        # WHEN a report is sent
        answer = handler(form_event([("portal", "bz"), ("lang", "es"), ("url", "mal.example/x"),
                                     ("notes", "detrás del inicio de sesión")]), None)
    finally:
        silent.release.set()
    # THEN "not received" in Spanish, with the notes given back
    assert answer["statusCode"] == 503
    assert 'lang="es"' in answer["body"] and "detrás del inicio de sesión" in answer["body"]
