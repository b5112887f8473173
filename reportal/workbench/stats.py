"""Blueprint `stats`: `/stats` for supervisors, the partner statistics as published.

The figures are `reportal.stats.figures`' (per portal and whole calendar month; counts 1–4
shown as "<5", medians of fewer than five values left out); this page only shows them as a
table for a period of months (`since`, `until`: YYYY-MM; by default the twelve months up to
the last one that ended). Exact figures and the partners' HTML and CSV come from
`reportal stats` on the command line (`--exact` is audited there). Opening the page is audited
as `list` with the period.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, render_template, request

from reportal.workbench.app import record, store
from reportal.workbench.audit import require_supervisor

__all__ = ["blueprint"]

blueprint = Blueprint("stats", __name__)

COLUMNS = (("received", "Received"), ("duplicates", "Duplicates"), ("assessed", "Assessed"),
           ("baseline", "Baseline"), ("national", "National"), ("not_illegal", "Not illegal"),
           ("out_of_remit", "Out of remit"), ("unavailable", "Unavailable"),
           ("median_hours_to_assessment", "Median hours to assessment"),
           ("median_hours_to_removal", "Median hours to removal"))


def _months_before(month: str, count: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@blueprint.route("/stats")
def index() -> Any:
    """The published figures per portal and month for the asked period."""
    from reportal.stats.figures import Period, PeriodError, compute, publish

    require_supervisor()
    since = request.args.get("since", "").strip() or None
    until = request.args.get("until", "").strip() or None
    now = datetime.now(timezone.utc)
    last_ended = _months_before(f"{now.year:04d}-{now.month:02d}", 1)
    start = since
    if start is None and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", until or last_ended):
        start = _months_before(until or last_ended, 11)
    try:
        period = Period.parse(start, until, first=None, now=now)
    except (PeriodError, ValueError) as exc:
        return render_template("stats.html", rows=[], columns=COLUMNS, since=since or "", until=until or "",
                               problem=str(exc).replace("--since", "From").replace("--until", "Until")), 400
    rows = publish(compute(store().db, period))
    record("list", detail={"view": "stats", "since": period.since, "until": period.until})
    return render_template("stats.html", rows=rows, columns=COLUMNS, since=period.since, until=period.until,
                           problem=None)
