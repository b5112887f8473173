"""Shared fixtures: a built fixture site, a moto queue, a development identity, the handler."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.support import CI_MAX_EXAMPLES, DEV_MAX_EXAMPLES, FIXTURE_SITES, ROOT

# `dev` (the default): a developer's quick run. `ci`: what `make test` selects with
# `--hypothesis-profile=ci`. Both derandomized and without the example database, so a run
# is repeatable and writes nothing; tests scale their own counts with `support.examples`.
settings.register_profile("dev", max_examples=DEV_MAX_EXAMPLES, derandomize=True, database=None, deadline=None)
settings.register_profile("ci", max_examples=CI_MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("dev")


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
def sqs(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A boto3 SQS client inside moto's in-process mock (its ReceiveMessage and DeleteMessage made
    atomic, as SQS's are: the drain receives and deletes on several threads)."""
    from moto import mock_aws

    from tests.support import atomic_moto_queue

    atomic_moto_queue(monkeypatch)
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


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]):
    """A function returning every log line and everything printed so far, as one string."""
    caplog.set_level(logging.DEBUG)

    def collect() -> str:
        out, err = capsys.readouterr()
        return "\n".join([caplog.text, out, err])

    return collect
