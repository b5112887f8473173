"""Blueprint `audit`: the audit log for supervisors (`/audit`); analysts get 403.

Newest entry first, filtered by actor, action or target (exact), paged by `seq` (keyset:
`before=SEQ`), read with `reportal.audit.entries`; their text is shown escaped like any other
stored value. Reading the log is itself audited
(`view-audit`). The chain is checked by `reportal audit verify`, not on each page view.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, current_app, g, render_template, request, url_for

from reportal import audit
from reportal.workbench.app import record, store

__all__ = ["blueprint", "require_supervisor"]

blueprint = Blueprint("audit", __name__)

_FILTERS = ("actor", "action", "target")


def require_supervisor() -> None:
    """403 unless the logged-in analyst is a supervisor."""
    if g.analyst.role != "supervisor":
        abort(403)


@blueprint.route("/audit")
def index() -> Any:
    """A page of the audit log, newest first."""
    require_supervisor()
    filters = {name: request.args.get(name, "").strip() for name in _FILTERS}
    filters = {name: value for name, value in filters.items() if value and len(value) <= 300}
    before = request.args.get("before", type=int)
    if before is not None and not 0 <= before <= 2**63 - 1:  # SQLite's integers; a bigger one overflowed (500)
        abort(400, "That page of the audit log does not exist.")
    size = current_app.extensions["reportal.workbench"].page_size * 2
    rows = audit.entries(store().db, before=before, limit=size + 1, **filters)
    entries = [{**row, "detail": _detail(row["detail"])} for row in rows[:size]]
    record("view-audit", detail={k: v for k, v in filters.items() if k != "target"} or None)
    next_url = url_for("audit.index", **filters, before=entries[-1]["seq"]) if len(rows) > size else None
    return render_template("audit.html", entries=entries, filters=filters, next_url=next_url)


def _detail(value: Any) -> str:
    """An entry's detail as `key=value` pairs (JSON values, in stored order), or `-`."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in value.items()) or "-"
    return json.dumps(value, ensure_ascii=False)
