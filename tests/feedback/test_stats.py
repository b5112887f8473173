"""`reportal stats`: every figure of a seeded inbox, small counts hidden, whole months only, and
no hidden figure recoverable by subtracting one output from another."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from reportal.cli import main
from reportal.inbox.store import Store
from reportal.site.catalogs import load_translations
from reportal.stats.figures import KEYS, Period, PeriodError
from reportal.stats.report import CHART_RECEIVED
from tests.support import ROOT



def _at(moment: str, hours: float) -> str:
    start = datetime.strptime(moment, "%Y-%m-%dT%H:%M:%SZ")
    return (start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _report(portal: str, received_at: str, urls: list[str]) -> dict[str, Any]:
    return {"report_id": uuid.uuid4().hex, "received_at": received_at, "portal": portal, "lang": "en",
            "urls": [{"typed": u, "normalized": u} for u in urls], "kind": None, "notes": "n", "referrer": None,
            "email": None}


def _assess(store: Store, report: dict[str, Any], url: int, outcome: str, hours: float,
            removed_after: float | None = None) -> None:
    """Assess one URL, then pin its times to `hours` (and `removed_after`) after receipt."""
    store.assess(report["report_id"], url, outcome=outcome, analyst="ana")
    store.db.execute("UPDATE assessments SET assessed_at = ?, removed_at = ? WHERE report_id = ? AND url = ?",
                     (_at(report["received_at"], hours),
                      None if removed_after is None else _at(report["received_at"], removed_after),
                      report["report_id"], url))


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """bz: January 7 reports (the 7th a duplicate of the 6th), February 3 unassessed, March none;
    np: February 6 reports of 2 URLs each; one bz report this month (never published)."""
    db = tmp_path / "inbox.sqlite"
    with Store(db) as store:
        jan = [_report("bz", f"2026-01-{d:02d}T08:00:00Z", [f"https://a.example/{d}"]) for d in range(1, 7)]
        jan.append(_report("bz", "2026-01-06T09:00:00Z", ["https://a.example/6"]))
        feb = [_report("bz", f"2026-02-{d:02d}T08:00:00Z", [f"https://b.example/{d}"]) for d in range(1, 4)]
        np_feb = [_report("np", f"2026-02-{d:02d}T00:00:00Z", [f"https://n.example/{d}", f"https://m.example/{d}"])
                  for d in range(1, 7)]
        now = datetime.now(timezone.utc).strftime("%Y-%m-01T00:00:00Z")
        store.add_many(jan + feb + np_feb + [_report("bz", now, ["https://c.example/now"])])
        for i, (report, removed) in enumerate(zip(jan[:5], (30, 40, 50, 60, 70))):
            _assess(store, report, 1, "baseline", 10, removed)
        _assess(store, jan[5], 1, "not-illegal", 10)  # its duplicate (jan[6]) gets the same assessment
        _assess(store, jan[6], 1, "not-illegal", 10)
        for n, report in enumerate(np_feb, 1):
            _assess(store, report, 1, "national", 2 * n, 100 if n <= 3 else None)
            _assess(store, report, 2, "unavailable" if n <= 4 else "out-of-remit", 2 * n)
    return db


def stats(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> Any:
    code = main(["--root", str(ROOT), "stats", "--db", str(db), *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out) if "json" in args else captured.out


def row(portal: str, month: str, **figures: Any) -> dict[str, Any]:
    zero = {k: 0 for k in KEYS[2:-2]}
    return {"portal": portal, "month": month, **zero, "median_hours_to_assessment": None,
            "median_hours_to_removal": None, **figures}


PUBLISHED = [
    row("bz", "2026-01", received=7, duplicates="<5", assessed=7, baseline=5, not_illegal="<5",
        median_hours_to_assessment=10.0, median_hours_to_removal=50.0),
    row("bz", "2026-02", received="<5"),
    row("bz", "2026-03"),
    row("np", "2026-01"),
    row("np", "2026-02", received=6, assessed=6, national=6, out_of_remit="<5", unavailable="<5",
        median_hours_to_assessment=7.0),
    row("np", "2026-03"),
]


def test_json_gives_every_figure_with_small_counts_hidden(seeded: Path, capsys) -> None:
    # WHEN the partner figures for January to March are asked for
    found = stats(capsys, seeded, "--format", "json", "--since", "2026-01", "--until", "2026-03")
    # THEN each portal has every month, each figure as seeded, 1-4 as "<5", thin medians left out
    assert found == PUBLISHED
    assert all(list(r) == list(KEYS) for r in found)


def test_exact_gives_the_true_figures_and_is_audited(seeded: Path, capsys) -> None:
    found = stats(capsys, seeded, "--format", "json", "--since", "2026-01", "--until", "2026-02", "--exact")
    assert found[0] == row("bz", "2026-01", received=7, duplicates=1, assessed=7, baseline=5, not_illegal=2,
                           median_hours_to_assessment=10.0, median_hours_to_removal=50.0)
    assert found[1] == row("bz", "2026-02", received=3)
    assert found[3] == row("np", "2026-02", received=6, assessed=6, national=6, out_of_remit=2, unavailable=4,
                           median_hours_to_assessment=7.0, median_hours_to_removal=100.0)
    with sqlite3.connect(seeded) as db:
        actor_kind, action, detail = db.execute(
            "SELECT actor_kind, action, detail FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    assert (actor_kind, action) == ("os-user", "stats-exact")
    assert json.loads(detail) == {"format": "json", "portals": "all", "since": "2026-01", "until": "2026-02"}


def test_csv_has_the_same_figures(seeded: Path, capsys) -> None:
    text = stats(capsys, seeded, "--format", "csv", "--since", "2026-01", "--until", "2026-03", "--portal", "bz")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == list(KEYS)
    assert lines[1] == ["bz", "2026-01", "7", "<5", "7", "5", "0", "<5", "0", "0", "10.0", "50.0"]
    assert lines[2] == ["bz", "2026-02", "<5", "0", "0", "0", "0", "0", "0", "0", "", ""]
    assert len(lines) == 4


def test_no_output_reveals_a_hidden_cell_by_subtraction(seeded: Path, capsys) -> None:
    # GIVEN outputs over overlapping periods and portal selections
    outputs = [stats(capsys, seeded, "--format", "json", *args) for args in (
        ("--since", "2026-01", "--until", "2026-03"), ("--since", "2026-01", "--until", "2026-01"),
        ("--since", "2026-02", "--until", "2026-03"), ("--since", "2026-01", "--until", "2026-02", "--portal", "bz"),
        ("--since", "2026-02", "--until", "2026-02", "--portal", "np", "--portal", "bz"))]
    # THEN every output is made of the same (portal, month) cells with the same figures: no total,
    # no partial month, no aggregate over portals, so a difference of outputs is a difference of
    # published cells and never uncovers a "<5"
    cells = {(r["portal"], r["month"]): r for r in PUBLISHED}
    for output in outputs:
        for r in output:
            assert r == cells[(r["portal"], r["month"])]
    # AND no output holds a row or key beyond the (portal, month) cells: no total to subtract from
    assert all(set(r) == set(KEYS) for output in outputs for r in output)


@pytest.mark.parametrize(("args", "message"), [
    (("--since", "2026-1"), "--since '2026-1': give a month as YYYY-MM (e.g. 2026-03)"),
    (("--since", "2026-03", "--until", "2026-01"), "--since 2026-03 is after --until 2026-01"),
])
def test_bad_periods_are_refused(seeded: Path, capsys, args: tuple[str, ...], message: str) -> None:
    assert main(["stats", "--db", str(seeded), "--format", "json", *args]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"


def test_a_month_not_yet_ended_is_refused(seeded: Path, capsys) -> None:
    current = datetime.now(timezone.utc).strftime("%Y-%m")
    assert main(["stats", "--db", str(seeded), "--format", "json", "--until", current]) == 2
    assert f"--until {current}: that month has not ended yet" in capsys.readouterr().err
    with pytest.raises(PeriodError):
        Period.parse(None, "2026-05", first=None, now=datetime(2026, 5, 31, 23, 59, tzinfo=timezone.utc))
    assert Period.parse(None, None, first="2025-11", now=datetime(2026, 1, 1, tzinfo=timezone.utc)) == \
        Period("2025-11", "2025-12")


def test_html_is_one_self_contained_file_in_the_portals_language(seeded: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "np.html"
    stats(capsys, seeded, "--format", "html", "--portal", "np", "--since", "2026-01", "--until", "2026-03",
          "--out", str(out))
    html = out.read_text(encoding="utf-8")
    # THEN it is in Nepali (sites/np.yaml: ne first), holds two SVG charts and the table, loads nothing
    assert '<html lang="ne" dir="ltr">' in html
    chart = load_translations(ROOT / "translations", "ne").gettext(CHART_RECEIVED)
    assert chart != CHART_RECEIVED and f"<figcaption>{chart}</figcaption>" in html
    assert html.count("<svg") == 2 and "<table>" in html
    assert "default-src 'none'" in html
    for reference in ("src=", "<link", "@import", "http://", "https://"):
        assert reference not in html.replace("http://www.w3.org/", "")


def test_html_for_several_portals_is_one_file_each(seeded: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "partners"
    out.mkdir()
    printed = stats(capsys, seeded, "--format", "html", "--since", "2026-01", "--until", "2026-02", "--out", str(out))
    names = ["stats-bz-2026-01_2026-02.html", "stats-np-2026-01_2026-02.html"]
    assert printed.split() == [str(out / name) for name in names]
    assert '<html lang="en" dir="ltr">' in (out / names[0]).read_text(encoding="utf-8")
    # AND without --out, several portals are refused rather than run together
    assert main(["stats", "--db", str(seeded), "--format", "html", "--since", "2026-01", "--until", "2026-02"]) == 2
    assert "one HTML file per portal" in capsys.readouterr().err


def test_a_period_is_at_most_ten_years_so_one_run_stays_bounded(seeded: Path, capsys) -> None:
    # GIVEN a period of 24,000 months (typed, or from an envelope sealed with received_at 0001-01-01)
    now = datetime(2026, 11, 15, tzinfo=timezone.utc)
    # WHEN it is asked for explicitly THEN it is refused, naming the longest period allowed
    with pytest.raises(PeriodError, match=r"--since 0001-01: a period is at most 120 months \(from 2016-11 to 2026-10\)"):
        Period.parse("0001-01", None, first=None, now=now)
    assert main(["stats", "--db", str(seeded), "--format", "json", "--since", "0001-01", "--until", "2026-10"]) == 2
    assert "a period is at most 120 months" in capsys.readouterr().err
    # AND by default (the oldest report's month) it stops 120 months back; exactly 120 months is allowed
    assert Period.parse(None, None, first="0001-01", now=now) == Period("2016-11", "2026-10")
    assert Period.parse("2016-11", "2026-10", first=None, now=now).months()[0] == "2016-11"
    assert len(Period.parse("2016-11", "2026-10", first=None, now=now).months()) == 120


def test_a_chart_with_no_median_to_show_has_a_whole_hours_axis() -> None:
    from reportal.stats.report import charts

    # GIVEN a portal's month with nothing assessed (no median to publish)
    rows = [{"portal": "bz", "month": "2026-11", "received": 0, "duplicates": 0, "assessed": 0,
             "median_hours_to_assessment": None, "median_hours_to_removal": None}]
    # WHEN its charts are drawn
    hours = charts(rows, "en", lambda text: text)[1]["svg"]
    # THEN the hours axis reads 0 to 5 hours, not matplotlib's default 0.00 to 0.05
    assert ">5<" in hours and "0.01" not in hours and "0.05" not in hours
