"""Shared fixtures: a built fixture site, a moto queue, a development identity, the handler."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SITES = ROOT / "tests" / "fixtures" / "sites"


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach AWS: fake credentials, a fixed region, no endpoint override."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fixture portals (bz: en+es, eg: ar+en) built once: {"dist": …, "function": …}."""
    from reportal.site.build import Paths, build

    out = tmp_path_factory.mktemp("build")
    build(Paths.under(ROOT, FIXTURE_SITES), out / "dist", out / "function")
    return {"dist": out / "dist", "function": out / "function"}


@pytest.fixture
def identity_file(tmp_path: Path) -> Path:
    """A fresh age identity file (mode 0600)."""
    from reportal.envelope import generate_identity

    path = tmp_path / "keys" / "dev.key"
    generate_identity(path)
    return path


@pytest.fixture
def sqs() -> Any:
    """A boto3 SQS client inside moto's in-process mock."""
    from moto import mock_aws

    with mock_aws():
        import boto3

        yield boto3.client("sqs", region_name="eu-west-2")


@pytest.fixture
def queue_url(sqs: Any) -> str:
    """The reports queue with its dead-letter queue, as the preview creates them."""
    from reportal.local_aws import create_queues

    return create_queues(sqs, "reports-test")


@pytest.fixture
def handler(built: dict[str, Path], identity_file: Path, sqs: Any, queue_url: str) -> Any:
    """The real submission handler wired to the moto queue and the fixture build."""
    from reportal.envelope import recipient_of
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    settings = Settings(queue_url=queue_url, recipients=(recipient_of(identity_file),),
                        data_dir=built["function"])
    return make_handler(settings, sqs)


def form_event(fields: list[tuple[str, str]] | dict[str, str], *, base64_body: bool = True,
               headers: dict[str, str] | None = None, raw: bytes | None = None) -> dict[str, Any]:
    """A Function URL event posting `fields` urlencoded (or `raw` bytes) to /submit."""
    import base64

    from reportal.local_aws import function_url_event

    body = raw if raw is not None else urlencode(fields).encode("ascii")
    hdrs = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
    event = function_url_event("POST", "/submit", hdrs, body)
    if not base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64decode(event["body"]).decode("utf-8"), False
    return event


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]):
    """A function returning every log line and everything printed so far, as one string."""
    caplog.set_level(logging.DEBUG)

    def collect() -> str:
        out, err = capsys.readouterr()
        return "\n".join([caplog.text, out, err])

    return collect
