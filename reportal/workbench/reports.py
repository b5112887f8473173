"""Blueprint `reports`: one report (`/reports/<report_id>`), taking and releasing it, assessing
each of its URLs, and analysts' notes.

Every reported value is shown as escaped text (the `shown` filter: `escape_text`, as `inbox show`
prints it) inside autoescaped HTML; URLs are never links. Each change goes through the store,
which checks the vocabulary, raises `ValueError` with a message naming what was wrong (the page
then shows it, 400) and audits the change in its transaction (`assign`, `assess`, `note`: ids,
URL numbers and vocabulary values only). Opening a report is audited here, as `view-report`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from reportal.feedback.outbox import describe, mail_state
from reportal.workbench.app import record, store
from reportal.workbench.forms import AssessForm, NoteForm
from reportal.workbench.labels import action_choices, country_choices, outcome_choices

__all__ = ["SHOWN_CONFLICTS", "blueprint"]

# Conflicting contents shown on a report's page: whoever can seal envelopes can send thousands under
# one id (2,000 made an 18 MB page); `inbox show` prints them all.
SHOWN_CONFLICTS = 10

blueprint = Blueprint("reports", __name__, url_prefix="/reports")


def _report(report_id: str) -> dict[str, Any]:
    """The stored report `report_id` (exact id), or 404."""
    if len(report_id) > 200:
        abort(404)
    report = store().get(report_id)
    if report is None or report["report_id"] != report_id:
        abort(404)
    return report


def _assess_form(report: dict[str, Any], number: int, formdata: Any = None) -> AssessForm:
    current = next((a for a in report.get("assessments", []) if a["url"] == number), None)
    form = AssessForm(formdata=formdata, prefix=f"u{number}-",
                      outcome=current and current["outcome"], hosting_country=current and current["hosting_country"],
                      action=current and current["action"],
                      removed_at=current and (current["removed_at"] or "")[:16].replace("T", " "))
    form.outcome.choices = [("", "choose an outcome")] + outcome_choices()
    form.hosting_country.choices = [("", "not known yet")] + country_choices()
    form.action.choices = [("", "no action yet")] + action_choices()
    return form


def _reporter_fields(report: dict[str, Any]) -> list[dict[str, Any]]:
    """What the reporter wrote besides the URLs, one entry per field `inbox show` shows
    (`reportal.fields`, read at each call): `{label, lines}` (a text field keeps its line breaks)."""
    from reportal import fields

    shown = []
    for f in fields.reporter_answers():
        value = report.get(f.envelope)
        lines = value.split("\n") if isinstance(value, str) and f.kind == "text" else [value]
        shown.append({"label": f.analyst_label, "lines": lines})
    return shown


def _page(report: dict[str, Any], status: int = 200, forms: dict[int, AssessForm] | None = None,
          note: NoteForm | None = None, problem: str | None = None) -> tuple[str, int]:
    forms = forms or {}
    assess = {n: forms.get(n) or _assess_form(report, n) for n in range(1, len(report["urls"]) + 1)}
    by_url = {a["url"]: a for a in report.get("assessments", [])}
    mails = [describe(m) for m in mail_state(store().db, report["report_id"])]
    row = store().db.execute("SELECT purged_at FROM reports WHERE report_id = ?", (report["report_id"],)).fetchone()
    conflicts = [{"stored_at": c["stored_at"], "received_at": c["received_at"],
                  "urls": [u.get("normalized") for u in c["report"].get("urls", [])],
                  "fields": _reporter_fields(c["report"])}
                 for c in store().conflicts(report["report_id"], limit=SHOWN_CONFLICTS)]
    return render_template("report.html", report=report, assess=assess, by_url=by_url,
                           note=note or NoteForm(formdata=None), problem=problem, mails=mails,
                           purged_at=row[0] if row else None, reporter_fields=_reporter_fields(report),
                           conflicts=conflicts, conflict_count=store().conflict_count(report["report_id"])), status


@blueprint.route("/<report_id>")
def show(report_id: str) -> Any:
    """One report in full, its URLs with their assessments and forms, notes, who has it."""
    report = _report(report_id)
    record("view-report", target=report_id)
    return _page(report)


@blueprint.route("/<report_id>/take", methods=["POST"])
def take(report_id: str) -> Any:
    """Assign the report to the logged-in analyst (taking it from whoever had it)."""
    _report(report_id)
    store().assign(report_id, g.analyst.name)  # audited by the store: assign
    flash("You have taken this report.")
    return redirect(url_for("reports.show", report_id=report_id))


@blueprint.route("/<report_id>/release", methods=["POST"])
def release(report_id: str) -> Any:
    """Leave the report unassigned: its holder or a supervisor may."""
    report = _report(report_id)
    if report.get("assigned_to") not in (None, g.analyst.name) and g.analyst.role != "supervisor":
        abort(403)
    store().assign(report_id, None, by=g.analyst.name)
    flash("The report is released.")
    return redirect(url_for("reports.show", report_id=report_id))


@blueprint.route("/<report_id>/assess", methods=["POST"])
def assess(report_id: str) -> Any:
    """Record the assessment of one URL (`url` = its number, from 1), replacing the current one."""
    report = _report(report_id)
    number = request.form.get("url", type=int)
    if number is None or not 1 <= number <= len(report["urls"]):
        abort(400, "That report has no such URL.")
    form = _assess_form(report, number, formdata=request.form)
    if not form.validate_on_submit():
        return _page(report, 400, forms={number: form}, problem=f"URL {number}: this assessment was not saved: see below.")
    try:  # audited by the store: assess (ids, URL number and vocabulary values)
        store().assess(report_id, number, outcome=form.outcome.data, hosting_country=form.hosting_country.data or None,
                       action=form.action.data or None, removed_at=form.removed_at.data or None,
                       analyst=g.analyst.name)
    except ValueError as exc:  # VocabularyError, CaseworkError: the message names the value and the rule
        return _page(report, 400, forms={number: form}, problem=f"URL {number}: this assessment was not saved: {exc}")
    flash(f"URL {number} is assessed.")
    return redirect(url_for("reports.show", report_id=report_id) + f"#url-{number}")


@blueprint.route("/<report_id>/notes", methods=["POST"])
def add_note(report_id: str) -> Any:
    """Add an analyst's note to the report."""
    report = _report(report_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(report, 400, note=form, problem="The note was not added: see below.")
    try:  # audited by the store: note (its number, never its text)
        store().add_note(report_id, g.analyst.name, form.text.data)
    except ValueError as exc:
        form.text.errors = [str(exc)]
        return _page(report, 400, note=form, problem="The note was not added: see below.")
    flash("Your note is added.")
    return redirect(url_for("reports.show", report_id=report_id) + "#notes")
