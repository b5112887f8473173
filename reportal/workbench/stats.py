"""Blueprint `stats`: `/stats` for supervisors. The workbench does not compute statistics;
the page says how `reportal stats` produces them (issue 15) and is audited as `list`."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from reportal.workbench.app import record
from reportal.workbench.audit import require_supervisor

__all__ = ["blueprint"]

blueprint = Blueprint("stats", __name__)


@blueprint.route("/stats")
def index() -> Any:
    """Where the partner statistics come from."""
    require_supervisor()
    record("list", detail={"view": "stats"})
    return render_template("stats.html")
