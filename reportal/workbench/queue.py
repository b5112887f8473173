"""Blueprint `queue`: the queue of work (`/`) and the follow-up list (`/follow-up`).

The order, grouping and paging are the store's (`Store.queue`, `Store.follow_up`); this module
reads the filters from the query string and shows a page. Opening either page is audited as
`list` with the names of the filters used; the search text and host are not copied into the
log (they may be a reported address), only that they were given.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from reportal.workbench.app import record, store
from reportal.workbench.forms import QueueForm
from reportal.workbench.labels import status_choices

__all__ = ["blueprint"]

blueprint = Blueprint("queue", __name__)

_SHOWN_FILTERS = ("portal", "lang", "status", "received_from", "received_to", "assigned_to")
_SECRET_FILTERS = ("host", "q")


@blueprint.route("/")
def index() -> Any:
    """The queue: new reports first, duplicates under their first report, filters, search, paging."""
    from reportal.inbox.store import QueueFilter
    form = QueueForm(request.args)
    form.status.choices = [("", "any")] + status_choices()
    if request.args and not form.validate():
        return render_template("queue.html", form=form, page=None, next_url=None, filtered=True,
                               problem="The queue could not be shown: see the filters below."), 400
    values = {name: (getattr(form, name).data or "").strip() or None for name in _SHOWN_FILTERS + _SECRET_FILTERS}
    filters = QueueFilter(portal=values["portal"], lang=values["lang"], status=values["status"],
                          received_from=values["received_from"], received_to=values["received_to"],
                          host=values["host"], search=values["q"], assigned_to=values["assigned_to"])
    size = current_app.extensions["reportal.workbench"].page_size
    try:
        page = store().queue(filters, limit=size, after=form.after.data or None)
    except ValueError as exc:  # BadFilter, BadCursor: a filter or page link the store cannot use
        return render_template("queue.html", form=form, page=None, next_url=None, filtered=True,
                               problem=f"The queue could not be shown: {exc}"), 400
    record("list", detail={"view": "queue", **{k: v for k, v in values.items() if k in _SHOWN_FILTERS and v},
                           **{k: True for k in _SECRET_FILTERS if values[k]},
                           **({"after": True} if form.after.data else {})})
    next_url = None
    if page.next:
        args = {k: v for k, v in values.items() if v}
        next_url = url_for("queue.index", **args, after=page.next)
    return render_template("queue.html", form=form, page=page, next_url=next_url,
                           filtered=any(values.values()), problem=None)


@blueprint.route("/follow-up")
def follow_up() -> Any:
    """URLs actioned but not yet confirmed removed, oldest action first."""
    size = current_app.extensions["reportal.workbench"].page_size
    rows = store().follow_up(limit=size * 4)
    record("list", detail={"view": "follow-up"})
    return render_template("follow_up.html", rows=rows)
