"""The preview never thanks a reporter while its inbox drain is failing (issue 13)."""
from __future__ import annotations

import shutil
import sqlite3
import threading
from typing import Any
from urllib.parse import urlencode

from tests.support import FIXTURE_SITES, ROOT
from tests.test_preview import _request

_FORM = urlencode([("portal", "bz"), ("lang", "es"), ("url", "bad.example/x"), ("notes", "nota")]).encode()
_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "null"}


def test_a_failing_drain_is_said_and_reports_get_the_not_received_page(tmp_path, monkeypatch) -> None:
    from reportal.inbox.store import Store
    from reportal.preview import Preview

    # GIVEN a preview whose inbox database refuses every commit (a full disk)
    def full(self: Store, reports: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "add_many", full)
    for name in ("templates", "translations"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copytree(FIXTURE_SITES, tmp_path / "sites")
    failures: list[tuple[str, float]] = []
    failed = threading.Event()
    preview = Preview(tmp_path, port=0, on_drain_failure=lambda *f: failures.append(f) or failed.set())
    preview.start()
    try:
        # WHEN a report arrives (the drain was healthy until now: it is thanked and queued)
        assert _request(preview, "POST", "/submit", _FORM, _HEADERS)[0] == 303
        # THEN the drain's failure is said, not lost in a dead thread
        assert failed.wait(30)
        assert failures[0] == ("OperationalError", 1.0)
        # AND the next reporter gets the Spanish "not received" page with what they typed
        status, headers, page = _request(preview, "POST", "/submit", _FORM, _HEADERS)
        assert status == 503 and headers["Cache-Control"] == "no-store"
        assert b'lang="es"' in page and b"nota" in page
    finally:
        preview.stop()
