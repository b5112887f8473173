"""Partner statistics: per portal and calendar month, what the inbox received and what became of it.

One row per (portal, month) — months by the report's `received_at` (UTC), whole calendar
months only, never a month that has not ended:

| key | counts |
|---|---|
| `received` | reports received that month |
| `duplicates` | of those, reports grouped under an earlier one (`duplicate_of`) |
| `assessed` | of those, reports whose every URL is assessed (status `assessed`) |
| `baseline` … `unavailable` | reported URLs (of those reports) with that current outcome |
| `median_hours_to_assessment` | median over assessed URLs of (assessed_at − received_at), hours, 1 decimal |
| `median_hours_to_removal` | median over URLs with a confirmed `removed_at` of (removed_at − received_at) |

**Small counts.** In everything meant for partners a count from 1 to 4 is the string "<5",
and a median computed from fewer than 5 values is `null`, so that no figure can point at a
single reporter; `exact=True` (supervisors, audited as `stats-exact`) gives the true values.

**Why no suppressed figure can be recovered by subtraction.** Each published figure is a
function of one (portal, month) cell only: the same cell has the same value in every output
made from the same database, whatever `--portal`, `--since` or `--until` selected, because
(a) periods are whole calendar months, never days, so two periods differ by whole cells;
(b) there is no total, subtotal or all-portals row, so no published figure is a sum of other
cells; (c) within a row no published figure is a sum or difference of others (outcomes count
URLs, `received`/`duplicates`/`assessed` count reports, unassessed URLs and `duplicate`
outcomes are not published). Subtracting one output from another therefore yields only
differences between figures that are each ≥ 5 or shown as "<5" — never a hidden cell.
What changes between two runs is what happened in between (new assessments, removals):
a figure is a snapshot, dated in every output.

The schema read here (reportal.inbox.schema): `reports(portal, received_at, duplicate_of,
status)` through its covering index `reports_stats` (step 8), and `stats_facts` (step 11): one
narrow row per assessed URL — portal, month of receipt, outcome, hours to assessment and to
removal — kept by triggers on `assessments`, so no query joins or parses dates (0.42 s of CPU
for the whole `reportal stats` process over 100,000 reports; bench/stats.py).
None of it is content a reporter typed, so statistics survive `inbox purge`.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

__all__ = [
    "COUNT_KEYS", "KEYS", "MAX_MONTHS", "SUPPRESSED", "Period", "PeriodError", "compute", "month_range", "publish", "to_csv",
    "to_json",
]

OUTCOME_KEYS = {"baseline": "baseline", "national": "national", "not-illegal": "not_illegal",
                "out-of-remit": "out_of_remit", "unavailable": "unavailable"}
COUNT_KEYS = ("received", "duplicates", "assessed", *OUTCOME_KEYS.values())
KEYS = ("portal", "month", *COUNT_KEYS, "median_hours_to_assessment", "median_hours_to_removal")
SUPPRESSED = "<5"
SMALL = 5  # counts 1..SMALL-1 are suppressed; medians need SMALL values
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# The longest period one run computes and draws (ten years): bounds the work a typed --since or
# an envelope's received_at (the default --since is the oldest report's month) can ask for.
# The partner report's charts cost ~3 s for 120 months and grow faster than linearly (600: 14 s).
MAX_MONTHS = 120


class PeriodError(ValueError):
    """A month that is not YYYY-MM, a range that ends before it starts, or a month not yet ended."""


@dataclass(frozen=True)
class Period:
    """Whole calendar months `since`..`until` inclusive, each "YYYY-MM"."""

    since: str
    until: str

    @classmethod
    def parse(cls, since: str | None, until: str | None, *, first: str | None,
              now: datetime | None = None) -> "Period":
        """Check `since`/`until` (YYYY-MM or None). `until` defaults to the last ended month,
        `since` to `first` (the oldest month in the data) or `until`, at most `MAX_MONTHS`
        before `until`. Raises `PeriodError` (also for a period longer than `MAX_MONTHS`)."""
        now = now or datetime.now(timezone.utc)
        current = f"{now.year:04d}-{now.month:02d}"
        for name, value in (("--since", since), ("--until", until)):
            if value is not None and not _MONTH.match(value):
                raise PeriodError(f"{name} {value!r}: give a month as YYYY-MM (e.g. 2026-03)")
        last_ended = _add_months(current, -1)
        until = until or last_ended
        if until >= current:
            raise PeriodError(f"--until {until}: that month has not ended yet; figures cover whole "
                              f"calendar months (the last one ended is {last_ended})")
        if since is None:  # the oldest month in the data, but no more than MAX_MONTHS back
            since = max(min(first or until, until), _add_months(until, 1 - MAX_MONTHS))
        if since > until:
            raise PeriodError(f"--since {since} is after --until {until}")
        if since < _add_months(until, 1 - MAX_MONTHS):
            raise PeriodError(f"--since {since}: a period is at most {MAX_MONTHS} months (from "
                              f"{_add_months(until, 1 - MAX_MONTHS)} to {until}); ask for longer ones in parts")
        return cls(since, until)

    def months(self) -> list[str]:
        """Every month of the period, oldest first."""
        return month_range(self.since, self.until)


def _add_months(month: str, n: int) -> str:
    year, mon = int(month[:4]), int(month[5:7]) - 1 + n
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def month_range(since: str, until: str) -> list[str]:
    """["2026-01", "2026-02", …] from `since` to `until` inclusive."""
    out, month = [], since
    while month <= until:
        out.append(month)
        month = _add_months(month, 1)
    return out


def _placeholders(items: Iterable[Any]) -> str:
    return ",".join("?" for _ in items)


def compute(db: sqlite3.Connection, period: Period, portals: list[str] | None = None) -> list[dict[str, Any]]:
    """Exact figures, one dict per (portal, month) with the keys of `KEYS` (medians keep
    their value count under `_n_assessment`/`_n_removal` for `publish`). Portals: `portals`,
    else every portal with a report in the database; each gets every month of `period`
    (zeros where nothing arrived). Sorted by portal, then month."""
    start, end = f"{period.since}-01T00:00:00Z", f"{_add_months(period.until, 1)}-01T00:00:00Z"
    if portals is None:
        portals = [r[0] for r in db.execute("SELECT DISTINCT portal FROM reports ORDER BY portal")]
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for portal in sorted(set(portals)):
        for month in period.months():
            rows[(portal, month)] = {"portal": portal, "month": month, **{k: 0 for k in COUNT_KEYS}}
    if not portals:
        return []
    marks = _placeholders(portals)
    # Read from indexes only (schema steps 8, 11 and 13): reports_stats covers the report counts,
    # stats_facts (one narrow row per assessed URL, kept by triggers) the outcomes and hours.
    for portal, month, received, duplicates, assessed in db.execute(
            "SELECT portal, substr(received_at, 1, 7), count(*), count(duplicate_of), sum(status = 'assessed')"
            f" FROM reports WHERE portal IN ({marks}) AND received_at >= ? AND received_at < ? GROUP BY 1, 2",
            (*portals, start, end)):
        rows[(portal, month)].update(received=received, duplicates=duplicates, assessed=assessed or 0)
    cells = (*portals, period.since, period.until)
    where = f"portal IN ({marks}) AND month >= ? AND month <= ?"
    for portal, month, outcome, count, timed in db.execute(
            "SELECT portal, month, outcome, count(*), count(to_assessment) FROM stats_facts"
            f" WHERE {where} GROUP BY 1, 2, 3", cells):
        row = rows[(portal, month)]
        key = OUTCOME_KEYS.get(outcome)
        if key:
            row[key] = count
        row["_n_assessment"] = row.get("_n_assessment", 0) + timed
    for portal, month, count in db.execute(
            f"SELECT portal, month, count(*) FROM stats_facts WHERE {where} AND to_removal IS NOT NULL"
            " GROUP BY 1, 2", cells):
        rows[(portal, month)]["_n_removal"] = count
    for row in rows.values():
        for column, name, median in (("to_assessment", "_n_assessment", "median_hours_to_assessment"),
                                     ("to_removal", "_n_removal", "median_hours_to_removal")):
            row[median] = _median(db, column, row["portal"], row["month"], row.get(name, 0))
    out = []
    for key in sorted(rows):
        row = rows[key]
        row.setdefault("_n_assessment", 0)
        row.setdefault("_n_removal", 0)
        out.append(row)
    return out


def _median(db: sqlite3.Connection, column: str, portal: str, month: str, count: int) -> float | None:
    """The median of `column` over one cell's `count` non-null values, read in index order
    (the middle one or two values only), in hours to one decimal; None without values."""
    if not count:
        return None
    middle = [r[0] for r in db.execute(
        f"SELECT {column} FROM stats_facts WHERE portal = ? AND month = ? AND {column} IS NOT NULL"
        f" ORDER BY {column} LIMIT ? OFFSET ?", (portal, month, 2 - count % 2, (count - 1) // 2))]
    return round(sum(middle) / len(middle), 1) if middle else None


def publish(rows: list[dict[str, Any]], *, exact: bool = False) -> list[dict[str, Any]]:
    """The rows as published, keys in `KEYS` order: counts 1–4 become "<5" and medians of
    fewer than 5 values become None, unless `exact`."""
    out = []
    for row in rows:
        shown = {key: row[key] for key in KEYS}
        if not exact:
            for key in COUNT_KEYS:
                if 0 < row[key] < SMALL:
                    shown[key] = SUPPRESSED
            if row["_n_assessment"] < SMALL:
                shown["median_hours_to_assessment"] = None
            if row["_n_removal"] < SMALL:
                shown["median_hours_to_removal"] = None
        out.append(shown)
    return out


def to_json(rows: list[dict[str, Any]]) -> str:
    """The published rows as a JSON array (DESIGN.md's contract), one object per line."""
    return "[\n" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n]\n"


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The published rows as CSV with a header line of `KEYS`; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(KEYS)
    for row in rows:
        writer.writerow(["" if row[k] is None else row[k] for k in KEYS])
    return out.getvalue()
