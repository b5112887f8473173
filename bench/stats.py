"""`reportal stats` over the workbench's seeded inbox (100,000 reports in full mode), against the
1 s budget (DESIGN.md).

The workbench benchmark fills the inbox (bench/workbench.py) and hands it over; here every URL
of every group's first report that is still unassessed gets an assessment (outcomes and times
spread over the vocabulary, two in five removed), so the statistics read their worst case: every
report has assessments to join. Then `reportal stats --format json` runs over the whole year as
a separate process (wall time, the command as a hotline runs it: interpreter start, imports,
migration check, queries, output), `runs` times, wall and CPU (the budget is judged on the
slowest run's CPU, which a busy shared machine disturbs far less); and `compute` alone.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.machine import median

__all__ = ["measure_stats"]

_OUTCOMES = ("baseline", "national", "not-illegal", "out-of-remit", "unavailable")


def _assess_all(db: Path) -> int:
    """Assess every unassessed URL directly in SQL (filling is not measured); return how many."""
    from reportal.inbox.store import Store

    with Store(db) as store:
        store.db.execute("PRAGMA synchronous=OFF")
        store.db.execute("BEGIN")
        rows = store.db.execute(
            "SELECT r.report_id, r.received_at, r.url_count FROM reports r"
            " WHERE NOT EXISTS (SELECT 1 FROM assessments a WHERE a.report_id = r.report_id)").fetchall()
        made = []
        for n, (report_id, received, urls) in enumerate(rows):
            moment = (datetime.strptime(received, "%Y-%m-%dT%H:%M:%SZ")
                      + timedelta(hours=1 + n % 71)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for url in range(1, urls + 1):
                made.append((report_id, url, _OUTCOMES[(n + url) % 5], "bench", moment,
                             moment if n % 5 < 2 else None))
        store.db.executemany("INSERT INTO assessments (report_id, url, outcome, analyst, assessed_at, removed_at)"
                             " VALUES (?,?,?,?,?,?)", made)
        store.db.execute("UPDATE reports SET status = 'assessed'")
        store.db.execute("COMMIT")
    return len(made)


def measure_stats(db: Path, root: Path, runs: int) -> dict[str, Any]:
    """Wall seconds of `reportal stats --format json` (median and slowest of `runs`) and of
    `compute` alone, over every month of the inbox at `db`."""
    from reportal.inbox.store import Store
    from reportal.stats.figures import Period, compute

    added = _assess_all(db)
    with Store(db) as store:
        first, last = store.db.execute("SELECT substr(min(received_at), 1, 7), substr(max(received_at), 1, 7)"
                                       " FROM reports").fetchone()
        reports = store.db.execute("SELECT count(*) FROM reports").fetchone()[0]
        start = time.perf_counter()
        rows = compute(store.db, Period(first, last))
        compute_s = time.perf_counter() - start
    command = [sys.executable, "-m", "reportal.cli", "--root", str(root), "stats", "--db", str(db),
               "--format", "json", "--since", first, "--until", last]
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {"stats_reports": reports, "stats_rows": len(rows), "stats_assessments_added": added,
            "stats_compute_s": round(compute_s, 3), "stats_cli_s_median": round(median(walls), 3),
            "stats_cli_s_max": round(max(walls), 3), "stats_cli_cpu_s_max": round(max(cpus), 3)}
