"""`reportal inbox dlq list|redrive` against moto's server (which has no message move task, so
the receive-send-delete fallback runs): counts and ages only, and every dead letter goes back."""
from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from reportal.cli import main
from reportal.inbox.dlq import dead_letter_queue, list_dead_letters, redrive
from reportal.local_aws import create_queues

from tests.support import queue_counts, send_bodies


@pytest.fixture
def queues(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str, str]:
    """(client, report queue URL, dead-letter queue URL) on the moto server; 7 dead letters."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    sqs = boto3.client("sqs")
    queue_url = create_queues(sqs, f"reports-{time.monotonic_ns()}")
    dlq_url, _, _ = dead_letter_queue(sqs, queue_url)
    send_bodies(sqs, dlq_url, [f"SEALED-BODY-{i}" for i in range(7)])
    return sqs, queue_url, dlq_url


def test_list_counts_and_ages_without_content(queues: tuple, capsys: pytest.CaptureFixture) -> None:
    sqs, queue_url, dlq_url = queues
    # GIVEN seven dead letters sent "now" WHEN listed two hours later (clock moved, not slept)
    letters = list_dead_letters(sqs, queue_url, now=lambda: time.time() + 7200)
    # THEN the counts and ages are right and the letters are all visible again afterwards
    assert (letters.visible, letters.in_flight, len(letters.ages)) == (7, 0, 7)
    assert all(7190 <= age <= 7260 for age in letters.ages)
    assert letters.summary().startswith("7 dead letter(s) waiting; oldest 2 h 0 min, newest 2 h 0 min; "
                                        "the oldest expires in 13 d 22 h (14 days after it was sent)")
    assert queue_counts(sqs, dlq_url) == (7, 0)
    # AND the command prints one line that holds no content
    assert main(["inbox", "dlq", "list", "--queue-url", queue_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("7 dead letter(s) waiting; oldest 0 min") and "SEALED" not in out and out.count("\n") == 1


def test_redrive_moves_every_letter_back_with_its_attributes(queues: tuple, capsys: pytest.CaptureFixture) -> None:
    sqs, queue_url, dlq_url = queues
    # WHEN redriven (moto has no move task: the copy fallback)
    assert main(["inbox", "dlq", "redrive", "--queue-url", queue_url]) == 0
    captured = capsys.readouterr()
    assert captured.out == "moved 7 dead letter(s) back to the report queue\n"
    assert "no message move task" in captured.err
    # THEN the dead-letter queue is empty and the queue holds the same bodies with attribute v=1
    assert queue_counts(sqs, dlq_url) == (0, 0)
    got = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                       VisibilityTimeout=300).get("Messages", []):
        got += batch
    assert sorted(m["Body"] for m in got) == sorted(f"SEALED-BODY-{i}" for i in range(7))
    assert {m["MessageAttributes"]["v"]["StringValue"] for m in got} == {"1"}
    assert main(["inbox", "dlq", "list", "--queue-url", queue_url]) == 0
    assert capsys.readouterr().out == "no dead letters\n"


def test_redrive_uses_the_move_task_where_the_service_has_it() -> None:
    class _Sqs:
        """A queue service with the move task: records the call, is never asked to copy."""

        started: dict = {}

        def get_queue_attributes(self, QueueUrl: str, AttributeNames: list) -> dict:
            return {"Attributes": {"QueueArn": "arn:aws:sqs:eu-west-1:123456789012:q", "RedrivePolicy":
                                   '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:q-dlq","maxReceiveCount":5}'}}

        def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str) -> dict:
            return {"QueueUrl": f"https://sqs.eu-west-1.amazonaws.com/{QueueOwnerAWSAccountId}/{QueueName}"}

        def start_message_move_task(self, **kwargs: str) -> dict:
            self.started = kwargs
            return {"TaskHandle": "handle-123"}

    sqs, lines = _Sqs(), []
    assert redrive(sqs, "https://sqs.eu-west-1.amazonaws.com/123456789012/q", out=lines.append) == ("move-task", 0)
    assert sqs.started == {"SourceArn": "arn:aws:sqs:eu-west-1:123456789012:q-dlq",
                           "DestinationArn": "arn:aws:sqs:eu-west-1:123456789012:q"}
    assert lines[0].startswith("SQS is moving the dead letters back (move task handle-123")


def test_a_queue_without_redrive_policy_is_a_clear_error(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    plain = boto3.client("sqs").create_queue(QueueName=f"plain-{time.monotonic_ns()}")["QueueUrl"]
    assert main(["inbox", "dlq", "list", "--queue-url", plain]) == 1
    assert capsys.readouterr().err.startswith("error: this queue has no redrive policy, so no dead-letter queue")


def test_an_unreachable_queue_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert main(["inbox", "dlq", "list", "--queue-url", f"http://127.0.0.1:{port}/123456789012/q"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not reach AWS (EndpointConnectionError)" in err


def test_no_region_says_which_variable_boto3_reads(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    # GIVEN an emulator's queue URL (no region in it), no AWS_DEFAULT_REGION, no profile, and
    # AWS_REGION set (the variable other AWS SDKs read, which boto3 ignores)
    for name in ("AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    # WHEN the dead letters are listed
    assert main(["inbox", "dlq", "list", "--queue-url", "http://127.0.0.1:9/123456789012/q"]) == 1
    # THEN one line names the variable that works (dlq has no --region to pass)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.rstrip().endswith(
        "no AWS region: set AWS_DEFAULT_REGION (or `region` in the AWS profile)")
