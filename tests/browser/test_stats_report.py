"""The partner statistics report (`reportal stats --format html`) in a real browser (Debian
Chromium): opened from a file it makes no request but its own, draws its charts, breaks no
CSP rule, passes axe-core (WCAG 2.2 A/AA), and prints to a PDF.

With `REPORTAL_STATS_SCREENSHOT=FILE.png` set, the test also writes a full-page picture of the
report there (docs/partner-report.png is made so).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from reportal.cli import main
from reportal.inbox.store import Store
from tests.browser.browser_support import run_axe
from tests.support import ROOT


def _inbox(db: Path) -> None:
    """bz reports from January to March 2026 (18, 26, 34), three in four assessed, a third of
    those removed."""
    outcomes = ("baseline", "baseline", "national", "not-illegal", "unavailable", "out-of-remit")
    with Store(db) as store:
        reports = [{"report_id": uuid.uuid4().hex, "received_at": f"2026-{m:02d}-{d:02d}T10:00:00Z", "portal": "bz",
                    "lang": "en", "urls": [{"typed": f"x{m}{d}.example", "normalized": f"https://x{m}{d}.example/"}],
                    "kind": None, "notes": None, "referrer": None, "email": None}
                   for m in (1, 2, 3) for d in range(1, 11 + 8 * m) if d <= 28]
        store.add_many(reports)
        for n, report in enumerate(reports):
            if n % 4:
                store.assess(report["report_id"], 1, outcome=outcomes[n % 6], analyst="ana")
                store.db.execute("UPDATE assessments SET assessed_at = ?, removed_at = ? WHERE report_id = ?",
                                 (report["received_at"].replace("T10", f"T{11 + n % 12}"),
                                  report["received_at"].replace("T10", f"T{14 + n % 9}") if n % 3 == 0 else None,
                                  report["report_id"]))


def test_partner_report_is_self_contained_and_holds_its_charts(tmp_path: Path, browser: Any, axe_source: str) -> None:
    # GIVEN a partner report written by `reportal stats --format html` for Belize
    db, out = tmp_path / "inbox.sqlite", tmp_path / "stats-bz.html"
    _inbox(db)
    assert main(["--root", str(ROOT), "stats", "--db", str(db), "--format", "html", "--portal", "bz",
                 "--since", "2026-01", "--until", "2026-03", "--out", str(out)]) == 0
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    console: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    # WHEN a browser opens it
    page.goto(out.as_uri())
    # THEN the file is the only request, and nothing was refused by its CSP
    assert requests == [out.as_uri()]
    assert console == []
    # AND it holds two drawn charts with their bars, and the table's three months
    assert page.locator("figure svg").count() == 2
    assert page.locator("figure svg").first.bounding_box()["height"] > 150  # type: ignore[index]
    assert page.locator("figure svg path").count() > 20
    assert page.locator("tbody tr").count() == 3
    assert page.locator("tbody tr").first.locator("td").first.inner_text() == "18"
    assert page.locator("h1").inner_text() == "Reporting portal for Belize: figures from Jan 2026 to Mar 2026"
    # AND axe-core finds no WCAG 2.2 A/AA violation
    assert run_axe(page, axe_source) == []
    # AND it prints (to PDF) as one document
    assert page.pdf(format="A4")[:5] == b"%PDF-"
    if os.environ.get("REPORTAL_STATS_SCREENSHOT"):
        page.set_viewport_size({"width": 1000, "height": 800})
        page.screenshot(path=os.environ["REPORTAL_STATS_SCREENSHOT"], full_page=True)
    context.close()
