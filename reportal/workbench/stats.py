"""Blueprint `stats`: `/stats` for supervisors, the partner statistics as published.

The figures are `reportal.stats.figures`' (per portal and whole calendar month; counts 1–4
shown as "<5", medians of fewer than five values left out); this page only shows them as a
table for a period of months (`since`, `until`: YYYY-MM; by default the twelve months up to
the last one that ended), and for one `portal` also as the partner report's two charts
(reportal.stats.report, the same SVG). Exact figures and the partners' HTML and CSV come from
`reportal stats` on the command line (`--exact` is audited there). Opening the page is audited
as `list` with the period.

`POST /stats/purge` (supervisors) applies the retention periods of sites/_defaults.yaml now,
as `reportal inbox purge` does (reportal.feedback.retention), audited as `purge` by the
supervisor.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

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
                               problem=str(exc).replace("--since", "From").replace("--until", "Until"),
                               portals=[], portal="", charts=[], config=_config()), 400
    portals = [r[0] for r in store().db.execute("SELECT DISTINCT portal FROM reports ORDER BY portal")]
    portal = request.args.get("portal", "").strip()
    if portal not in portals:
        portal = ""
    rows = publish(compute(store().db, period, [portal] if portal else None))
    charts = []
    if portal and rows:
        from reportal.stats.report import charts as draw

        charts = draw(rows, "en", str)
    record("list", detail={"view": "stats", "since": period.since, "until": period.until,
                           **({"portal": portal} if portal else {})})
    return render_template("stats.html", rows=rows, columns=COLUMNS, since=period.since, until=period.until,
                           problem=None, portals=portals, portal=portal, charts=charts, config=_config())


def _config() -> Any:
    """The validated config (`load_config`) for the retention section: its `retention` (the
    periods of sites/_defaults.yaml) and `portals` (each with its own, possibly shorter,
    periods); None when the config does not load."""
    from reportal.site.config import ConfigError, load_config

    try:
        return load_config(current_app.extensions["reportal.workbench"].root / "sites")
    except (ConfigError, OSError):
        return None


@blueprint.route("/stats/purge", methods=["POST"])
def purge() -> Any:
    """Apply the retention periods now (supervisors); the result is flashed."""
    from reportal import audit
    from reportal.feedback.retention import purge as apply_retention
    from reportal.site.config import ConfigError, load_config

    require_supervisor()
    root = current_app.extensions["reportal.workbench"].root
    try:
        loaded = load_config(root / "sites")
    except (ConfigError, OSError):
        flash("The portal configuration does not load (run reportal check): nothing was purged.")
        return redirect(url_for("stats.index"))
    periods = {p.code: p.retention for p in loaded.portals}
    done = apply_retention(store().db, periods, loaded.retention, actor=g.analyst.name,
                           actor_kind="analyst")
    audit.anchor(store().db)
    flash(f"Retention applied: {done.emails} email address(es) and {done.reports} report(s) deleted; "
          "statistics kept.")
    return redirect(url_for("stats.index"))
