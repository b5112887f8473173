"""Settings are read once, validated, and every problem is named at cold start."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from reportal.submit.settings import ENV_NAMES, Settings, SettingsError, origin_allowed, origin_of
from tests.support import ROOT

RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({})
    assert caught.value.problems == ["REPORTAL_QUEUE_URL is not set", "REPORTAL_RECIPIENTS is not set",
                                     "REPORTAL_DATA_DIR is not set"]


def test_malformed_values_are_named_without_quoting_secrets(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"REPORTAL_QUEUE_URL": "sqs-queue", "REPORTAL_RECIPIENTS": f"{RECIPIENT}, AGE-SECRET-KEY-1X",
                           "REPORTAL_DATA_DIR": str(tmp_path), "REPORTAL_ALLOWED_ORIGINS": "report.example"})
    assert caught.value.problems == [
        "REPORTAL_QUEUE_URL is not an http(s) queue URL",
        "REPORTAL_RECIPIENTS: recipient #2 is not an age1… key",
        f"REPORTAL_DATA_DIR: {tmp_path}/site.json not found (written by `reportal build`)",
        "REPORTAL_ALLOWED_ORIGINS: give origins as https://host[:port]",
    ]
    assert "SECRET-KEY" not in str(caught.value)


def test_a_complete_environment_is_read(built: dict[str, Path]) -> None:
    settings = Settings.from_env({
        "REPORTAL_QUEUE_URL": " https://sqs.eu-west-2.amazonaws.com/1/q ", "REPORTAL_RECIPIENTS": f"{RECIPIENT},{RECIPIENT}",
        "REPORTAL_DATA_DIR": str(built["function"]), "REPORTAL_ORIGIN_SECRET": "s",
        "REPORTAL_ALLOWED_ORIGINS": "https://Report.example, http://127.0.0.1:8000",
        "POWERTOOLS_SERVICE_NAME": "svc", "POWERTOOLS_METRICS_NAMESPACE": "Ns"})
    assert settings == Settings(queue_url="https://sqs.eu-west-2.amazonaws.com/1/q", recipients=(RECIPIENT, RECIPIENT),
                                data_dir=built["function"], origin_secret="s",
                                allowed_origins=frozenset({"https://report.example", "http://127.0.0.1:8000"}),
                                service="svc", metrics_namespace="Ns")


@pytest.mark.parametrize(("value", "origin"), [
    ("https://Report.Example", "https://report.example"), ("https://report.example:443", "https://report.example"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"), ("null", None), ("", None), ("file://x", None),
    ("https://", None), ("https://x:99999", None),
])
def test_origin_serialization(value: str, origin: str | None) -> None:
    assert origin_of(value) == origin


@pytest.mark.parametrize(("header", "allowed"), [
    ("", True), ("null", True), (" null ", True), ("https://report.example", True), ("https://REPORT.example:443", True),
    ("https://evil.example", False), ("null, https://evil.example", False), ("https://report.example:99999", False),
    ("chrome-extension://abc", False), ("garbage", False), ("NULL", False), ("http://report.example", False),
])
def test_only_null_absent_or_an_allowed_origin_may_post(header: str, allowed: bool) -> None:
    assert origin_allowed(header, frozenset({"https://report.example"})) is allowed


def test_backend_template_passes_exactly_the_settings_names() -> None:
    text = (ROOT / "infra" / "backend.yaml").read_text(encoding="utf-8")
    block = text.split("Variables:", 1)[1]
    passed = set(re.findall(r"^\s+((?:REPORTAL|POWERTOOLS)_[A-Z_]+):", block, re.M))
    assert passed - {"POWERTOOLS_LOG_LEVEL"} <= set(ENV_NAMES.values())
    assert {"REPORTAL_QUEUE_URL", "REPORTAL_RECIPIENTS", "REPORTAL_DATA_DIR", "REPORTAL_ORIGIN_SECRET",
            "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} <= passed
    assert "POWERTOOLS_LOGGER_LOG_EVENT" not in text and "POWERTOOLS_DEBUG" not in text


def test_lambda_requirements_pin_what_pyproject_pins() -> None:
    pins = dict(line.lower().split("==") for line in (ROOT / "lambda" / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    project = (ROOT / "pyproject.toml").read_text().lower()
    for name in ("aws-lambda-powertools", "pyrage", "jinja2", "babel", "idna"):
        assert f'"{name}=={pins[name]}"' in project, name
    import botocore

    assert pins["botocore"] == botocore.__version__  # what boto3's pin resolves to in the tests
