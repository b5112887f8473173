"""The workbench's share of issue 15: a report's mail state, the statistics' charts, and the
supervisors' purge."""
from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from reportal.inbox.store import Store
from tests.support import DEFAULTS, RETENTION_DEFAULTS, ROOT
from tests.workbench.support import Seeded, cheap_hasher, csrf_of, login, seed

OLD_ID = "d1b2c3d4e5f60718293a4b5c6d7e8f93"


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """The workbench tests' inbox plus a report with an email received 1,000 days ago (bz keeps
    reports 730 days) and one received today with an email."""
    seeded = seed(tmp_path / "var" / "inbox.sqlite")
    old = (datetime.now(timezone.utc) - timedelta(days=1000)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with Store(seeded.db) as store:
        store.add_many([{"report_id": OLD_ID, "received_at": old, "portal": "bz", "lang": "es",
                         "urls": [{"typed": "old.example/x", "normalized": "https://old.example/x"}], "kind": None,
                         "notes": "old notes", "referrer": None, "email": "old@mail.example"}])
        store.db.execute("UPDATE reports SET email = 'ana@mail.example' WHERE report_id = ?",
                         (seeded.reports["two"],))
        store.db.execute("INSERT INTO outbox (report_id, kind, created_at, attempts, last_attempt_at, last_error)"
                         " VALUES (?, 'ack', '2026-11-30T09:00:00Z', 1, '2026-11-30T09:05:00Z',"
                         " '450 SMTPRecipientsRefused')", (seeded.reports["two"],))
    return seeded


@pytest.fixture
def app(seeded: Seeded) -> Any:
    from reportal.workbench.app import WorkbenchSettings, create_app

    return create_app(WorkbenchSettings(hasher=cheap_hasher(), root=ROOT), lambda: Store(seeded.db))


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def test_report_page_shows_its_mail_state(client: Any, seeded: Seeded) -> None:
    assert login(client, seeded, "ana").status_code == 302
    html = client.get(f"/reports/{seeded.reports['two']}").get_data(as_text=True)
    assert "<dt>Acknowledgement</dt><dd>waiting: 1 attempt(s) failed, last 2026-11-30T09:05:00Z " \
           "(450 SMTPRecipientsRefused); the next inbox notify tries again</dd>" in html
    fresh = client.get(f"/reports/{OLD_ID}").get_data(as_text=True)
    assert "<dt>Acknowledgement</dt><dd>waiting for the next inbox notify</dd>" in fresh
    none = client.get(f"/reports/{seeded.reports['dup']}").get_data(as_text=True)
    assert "No email address was given: no mail." in none


def test_stats_page_draws_one_portals_charts_without_inline_styles(client: Any, seeded: Seeded) -> None:
    assert login(client, seeded, "sam").status_code == 302
    answer = client.get("/stats?since=2026-11&until=2026-11&portal=bz")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert html.count("<svg") == 2 and "<figcaption>Reports received and assessed each month</figcaption>" in html
    assert " style=" not in html and "<style" not in html  # the workbench's CSP allows neither
    assert "Reporters' email addresses are deleted 90 days after a report arrives, reports 730 days after" in html


def test_a_supervisor_applies_retention_from_the_workbench(app: Any, client: Any, seeded: Seeded) -> None:
    # GIVEN ana, an analyst: she may not
    assert login(client, seeded, "ana").status_code == 302
    page = client.get(f"/reports/{seeded.reports['two']}").get_data(as_text=True)
    assert client.post("/stats/purge", data={"csrf_token": csrf_of(page)}).status_code == 403
    # WHEN sam, a supervisor (in his own browser), applies the retention periods
    client = app.test_client()
    assert login(client, seeded, "sam").status_code == 302
    page = client.get("/stats").get_data(as_text=True)
    answer = client.post("/stats/purge", data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    # THEN the 1,000-day-old report loses what was typed, the page says so, and the audit log has it
    assert "Retention applied: 0 email address(es) and 1 report(s) deleted; statistics kept." in \
        answer.get_data(as_text=True)
    db = sqlite3.connect(seeded.db)
    assert db.execute("SELECT notes, email, plaintext FROM reports WHERE report_id = ?",
                      (OLD_ID,)).fetchone() == (None, None, None)
    actor, action, detail = db.execute("SELECT actor, action, detail FROM audit WHERE action = 'purge'").fetchone()
    assert (actor, json.loads(detail)) == ("sam", {"emails": 0, "reports": 1})
    report = client.get(f"/reports/{OLD_ID}").get_data(as_text=True)
    assert re.search(r"What the reporter typed was deleted on \d{4}-\d\d-\d\dT", report)


def test_stats_page_states_each_portals_shorter_retention_from_the_validated_config(seeded: Seeded,
                                                                                    tmp_path: Path) -> None:
    from reportal.workbench.app import WorkbenchSettings, create_app

    # GIVEN a configuration whose defaults keep emails 30 days and reports 365, and bz keeps reports 200
    root = tmp_path / "root"
    (root / "sites").mkdir(parents=True)
    (root / "sites" / "_defaults.yaml").write_text(RETENTION_DEFAULTS)
    (root / "sites" / "bz.yaml").write_text("code: bz\nlanguages: [en]\nretention:\n  report_days: 200\n")
    (root / "sites" / "gy.yaml").write_text("code: gy\nlanguages: [en]\n")
    client = create_app(WorkbenchSettings(hasher=cheap_hasher(), root=root), lambda: Store(seeded.db)).test_client()
    assert login(client, seeded, "sam").status_code == 302
    # WHEN a supervisor opens the statistics
    page = client.get("/stats").get_data(as_text=True)
    # THEN the defaults' periods and bz's own shorter one are stated; gy, which keeps the defaults, is not listed
    assert "deleted 30 days after a report arrives, reports 365 days after" in page
    assert "<li>BZ: email addresses 30 days, reports 200 days</li>" in page
    assert "<li>GY:" not in page
    # AND a retention the config reader refuses is the same refusal here as in `reportal check`
    (root / "sites" / "_defaults.yaml").write_text(DEFAULTS + "retention:\n  email_days: 30\n  email_days: 31\n")
    assert "The portal configuration does not load here" in client.get("/stats").get_data(as_text=True)
