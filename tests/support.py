"""Helpers shared by the tests (one module; conftest.py files hold only fixtures and hooks).

Import as `from tests.support import …`: pytest puts the repository root on `sys.path`
(`pythonpath` in pyproject.toml), so plain `pytest` from the root finds it.
"""
from __future__ import annotations

import base64
import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SITES = ROOT / "tests" / "fixtures" / "sites"
EVENTS = ROOT / "tests" / "events"

# Hypothesis profiles (registered in tests/conftest.py): `dev` is the default, quick for a
# developer's run; `ci` is what `make test` selects (`--hypothesis-profile=ci`), thorough.
CI_MAX_EXAMPLES = 1000
DEV_MAX_EXAMPLES = 50


# The form control each field kind is drawn as (templates/_field.html): (tag, type).
_CONTROLS = {"context": ("input", "hidden"), "url": ("input", "text"), "address": ("input", "text"),
             "line": ("input", "text"), "email": ("input", "email"), "text": ("textarea", None),
             "honeypot": ("input", "text"), "choice": ("input", "radio")}


def form_controls() -> list[tuple[str, str, str | None]]:
    """(tag, name, type) of every named control of the report form, in order, as
    reportal/fields.py declares the fields: one per input of a repeatable field, one radio
    per choice."""
    from reportal.fields import FIELDS

    controls = []
    for f in FIELDS:
        tag, kind = _CONTROLS[f.kind]
        controls += [(tag, f.name, kind)] * (len(f.choices) if f.kind == "choice" else f.inputs)
    return controls


def examples(thorough: int) -> int:
    """How many generated examples a property test runs: `thorough` under the `ci` Hypothesis
    profile (`make test`), a twentieth of it (at least 50) under the default `dev` profile."""
    from hypothesis import settings

    if settings.default.max_examples >= CI_MAX_EXAMPLES:
        return thorough
    return max(DEV_MAX_EXAMPLES, thorough // 20)


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.01) -> Any:
    """Poll `condition` until it returns something truthy, and return that; fail the test
    naming `what` if `timeout` seconds pass first. For state another process or thread
    changes without telling us (a database file, a queue); never a fixed wait."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"waited {timeout} s for {what}", pytrace=False)
        time.sleep(interval)


# The submission function ------------------------------------------------------------------

def form_event(fields: list[tuple[str, str]] | dict[str, str], *, base64_body: bool = True,
               headers: dict[str, str] | None = None, raw: bytes | None = None) -> dict[str, Any]:
    """A Function URL event posting `fields` urlencoded (or `raw` bytes) to /submit."""
    from reportal.local_aws import function_url_event

    body = raw if raw is not None else urlencode(fields).encode("ascii")
    hdrs = {"content-type": "application/x-www-form-urlencoded", **(headers or {})}
    event = function_url_event("POST", "/submit", hdrs, body)
    if not base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64decode(event["body"]).decode("utf-8"), False
    return event


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


def atomic_moto_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's ReceiveMessage and DeleteMessage take no lock, and the drain calls both on several
    threads (4 receivers, 4 delete threads):
    - two concurrent receives can both find a message visible and hand it out twice (seen with
      4 receivers: a whole batch stored as "already" and its older receipt handles then delete
      nothing). SQS never does this within the visibility timeout.
    - a delete rebuilds the queue's message list from the one it read and assigns it back, so
      two concurrent deletes lose one another's update (seen: "20 stored, 10 deleted" after a
      SIGTERM, every delete answered as successful; the 10 came back as in flight). SQS never
      brings back a message whose delete succeeded.
    Each pass over the queue and each delete run under one lock (a delete also under the queue's
    own lock, which a send takes to append); the long poll waits outside it, so receivers still
    overlap."""
    import threading

    import moto.sqs.models as sqs_models

    lock = threading.Lock()
    receive = sqs_models.SQSBackend.receive_message
    delete = sqs_models.Queue.delete_message

    def atomic(self: Any, queue_name: str, count: int, wait_seconds_timeout: int, *args: Any, **kw: Any) -> list:
        deadline = time.monotonic() + wait_seconds_timeout
        while True:
            with lock:
                result = receive(self, queue_name, count, 0, *args, **kw)
            remaining = deadline - time.monotonic()
            if result or remaining <= 0:
                return result
            self.get_queue(queue_name).wait_for_messages(min(1.0, remaining))

    def atomic_delete(self: Any, receipt_handle: str) -> None:
        with lock, self._messages_lock:
            delete(self, receipt_handle)

    monkeypatch.setattr(sqs_models.SQSBackend, "receive_message", atomic)
    monkeypatch.setattr(sqs_models.Queue, "delete_message", atomic_delete)


# The inbox ----------------------------------------------------------------------------------

def make_report(number: int = 0, urls: list[str] | None = None, received_at: str = "2025-03-01T10:00:00Z",
                **fields: Any) -> dict[str, Any]:
    """An envelope v1 plaintext as the function builds it."""
    urls = urls or [f"https://example.com/page/{number}"]
    return {"report_id": uuid.uuid4().hex, "received_at": received_at, "portal": "bz", "lang": "es",
            "urls": [{"typed": u.removeprefix("https://"), "normalized": u} for u in urls],
            "kind": None, "notes": f"report {number}", "referrer": None, "email": None, **fields}


def send_bodies(sqs: Any, queue_url: str, bodies: list[str], version: str | None = "1") -> None:
    """Put `bodies` on the queue in batches of 10, each with attribute ``v`` (unless None)."""
    attributes = {"v": {"DataType": "String", "StringValue": version}} if version else {}
    for start in range(0, len(bodies), 10):
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "MessageBody": body, "MessageAttributes": attributes}
            for i, body in enumerate(bodies[start:start + 10])])
        assert not answer.get("Failed")


def queue_counts(sqs: Any, queue_url: str) -> tuple[int, int]:
    """(visible, in flight) messages on the queue."""
    attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def stored_count(db: Path) -> int:
    """Reports stored in the inbox database `db` (read-only; 0 before it or its schema exists)."""
    if not db.exists():
        return 0
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=30) as con:
        try:
            return con.execute("SELECT count(*) FROM reports").fetchone()[0]
        except sqlite3.OperationalError:  # schema not created yet
            return 0


# Portal config ------------------------------------------------------------------------------

DEFAULTS = """\
base_url: https://report.example.org
hotline:
  name: Example Hotline
  url: https://hotline.example.org/
"""
# The same, keeping emails 30 days and reports 365 (retention and purge tests).
RETENTION_DEFAULTS = DEFAULTS + "retention:\n  email_days: 30\n  report_days: 365\n"

# A valid portal; tests replace one line (or add some) to make one mistake.
VALID = """\
code: bz
languages: [en, es]
help:
  - kind: emergency
    phone: "911"
    label:
      en: Emergency
      es: Emergencias
"""


def problems_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, portal: str, *,
                 name: str = "bz.yaml", defaults: str = DEFAULTS,
                 files: dict[str, str] | None = None) -> list[str]:
    """GIVEN sites/_defaults.yaml and one portal file, WHEN loaded, THEN every problem printed."""
    from reportal.site.config import ConfigError, load_config

    monkeypatch.chdir(tmp_path)
    sites = Path("sites")
    sites.mkdir()
    (sites / "_defaults.yaml").write_text(defaults, encoding="utf-8")
    (sites / name).write_text(portal, encoding="utf-8")
    for rel, text in (files or {}).items():
        (sites / rel).parent.mkdir(parents=True, exist_ok=True)
        (sites / rel).write_text(text, encoding="utf-8")
    try:
        loaded = load_config(sites)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return [str(w) for w in loaded.warnings]
