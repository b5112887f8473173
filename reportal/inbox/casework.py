"""The analysts' work on stored reports: assessments per URL, status, assignment, notes, the
queue of work and the follow-up list. `Store` (reportal.inbox.store) is the entry point;
these functions take its connection.

Rules (issue 14; /work/shared/DESIGN.md "Hotline side"):
- A report's `status` is kept in a column, recomputed whenever one of its assessments changes:
  ``new`` (no URL assessed), ``in-progress``, ``assessed`` (every URL has an outcome).
- Assessing a URL of a group's first report records the same assessment for the same
  (normalized) URL of each of its duplicates, and a duplicate arriving later takes the
  assessments its group's first report already has: the group is worked as one.
- The queue lists groups by their first report (filters apply to it): ``new`` first, then
  ``in-progress``, then ``assessed``; within each, oldest received first (the one waiting
  longest). Keyset paging on (rank, received_at, report_id): no OFFSET, the same cost at any
  depth.
- The follow-up list: URLs of first reports with an action other than ``none`` and no
  removal confirmed, oldest assessment first.
Every change is written to the audit log (reportal.audit) in its own transaction, then anchored.
"""
from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from reportal import audit
from reportal.inbox.vocabulary import check_action, check_country, check_outcome, check_status

__all__ = [
    "MAX_NOTE", "BadCursor", "BadFilter", "CaseworkError", "QueueFilter", "QueuePage", "UnknownReport", "UnknownUrl",
    "add_note", "assess", "assign", "casework_of", "copy_group_assessments", "follow_up", "parse_moment", "queue",
]

MAX_NOTE = 20_000
MAX_SEARCH = 200
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_RANK = {"new": 0, "in-progress": 1, "assessed": 2}
_STATUS_SQL = ("CASE (SELECT count(*) FROM assessments a WHERE a.report_id = reports.report_id) WHEN 0 THEN 'new'"
               " ELSE CASE WHEN (SELECT count(*) FROM assessments a WHERE a.report_id = reports.report_id)"
               " >= url_count THEN 'assessed' ELSE 'in-progress' END END")


class CaseworkError(ValueError):
    """A refused change or query; the message says what and why (never report content)."""


class UnknownReport(CaseworkError):
    """No report has this id."""


class UnknownUrl(CaseworkError):
    """The report has no URL at this 1-based index."""


class BadFilter(CaseworkError):
    """A queue filter value that cannot be used (bad date, status, over-long search)."""


class BadCursor(CaseworkError):
    """An `after` value that `queue` did not produce."""


def _now() -> str:
    return datetime.now(timezone.utc).strftime(_TIME)


def parse_moment(value: str, *, what: str = "date") -> str:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 date and time (``Z``, an offset, or none
    meaning UTC) as UTC ``YYYY-MM-DDTHH:MM:SSZ``. Raises `CaseworkError`."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        if len(text) == 10:
            return date.fromisoformat(text).strftime("%Y-%m-%dT00:00:00Z")
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CaseworkError(f"{what} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ; not {value!r}"[:200]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime(_TIME)


def _encodable(value: object) -> bool:
    """True for a string SQLite can store (UTF-8: no lone surrogates, as `surrogateescape`
    leaves in command-line arguments that were not UTF-8)."""
    try:
        return isinstance(value, str) and bool(value.encode("utf-8"))
    except UnicodeEncodeError:
        return False


def _report_row(db: sqlite3.Connection, report_id: str) -> tuple:
    if not _encodable(report_id):
        raise UnknownReport("no report with that id")
    row = db.execute("SELECT report_id, urls, url_count, duplicate_of, received_at FROM reports WHERE report_id = ?",
                     (report_id,)).fetchone()
    if row is None:
        raise UnknownReport(f"no report {report_id!r}"[:120])
    return row


def _refresh_status(db: sqlite3.Connection, report_ids: list[str]) -> None:
    db.executemany(f"UPDATE reports SET status = {_STATUS_SQL} WHERE report_id = ?", [(r,) for r in report_ids])


def casework_of(db: sqlite3.Connection, report_id: str) -> dict[str, Any]:
    """`{status, assigned_to, assessments, duplicates, analyst_notes}` of a stored report."""
    status, assigned_to = db.execute("SELECT status, assigned_to FROM reports WHERE report_id = ?",
                                     (report_id,)).fetchone()
    assessments = [
        {"url": r[0], "outcome": r[1], "hosting_country": r[2], "action": r[3], "analyst": r[4],
         "assessed_at": r[5], "removed_at": r[6]}
        for r in db.execute("SELECT url, outcome, hosting_country, action, analyst, assessed_at, removed_at"
                            " FROM assessments WHERE report_id = ? ORDER BY url", (report_id,))]
    duplicates = [r[0] for r in db.execute("SELECT report_id FROM reports WHERE duplicate_of = ?"
                                           " ORDER BY received_at, report_id", (report_id,))]
    notes = [{"analyst": r[0], "at": r[1], "text": r[2]}
             for r in db.execute("SELECT analyst, at, text FROM notes WHERE report_id = ? ORDER BY id", (report_id,))]
    return {"status": status, "assigned_to": assigned_to, "assessments": assessments, "duplicates": duplicates,
            "analyst_notes": notes}


def assess(db: sqlite3.Connection, report_id: str, url: int, *, outcome: str, hosting_country: str | None = None,
           action: str | None = None, removed_at: str | None = None, analyst: str,
           audit_detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Record (or replace) the assessment of URL number `url` (1-based) of a report; return it
    as stored: `{url, outcome, hosting_country, action, analyst, assessed_at, removed_at}`.

    `removed_at`: ``YYYY-MM-DD`` or a date and time (stored as UTC text); not in the future,
    not before the report was received. Raises `UnknownReport`, `UnknownUrl`,
    `VocabularyError` (outcome, action, hosting country) or `CaseworkError` (removed_at,
    analyst). Audited as `analyst` (action ``assess``; `audit_detail` is merged into the
    entry's detail, e.g. the OS user of a CLI call)."""
    check_outcome(outcome)
    if hosting_country is not None:
        check_country(hosting_country)
    if action is not None:
        check_action(action)
    if not isinstance(analyst, str) or not analyst:
        raise CaseworkError("an assessment needs the analyst's name")
    if removed_at is not None:
        removed_at = parse_moment(removed_at, what="removed")
        if removed_at > _now():
            raise CaseworkError(f"removed {removed_at} is in the future")
    with audit.transaction(db):
        row = _report_row(db, report_id)
        urls = json.loads(row[1])
        if isinstance(url, bool) or not isinstance(url, int) or not 1 <= url <= len(urls):
            raise UnknownUrl(f"report {report_id} has {len(urls)} URL(s); no URL number {url!r}"[:160])
        if removed_at is not None and removed_at < row[4]:
            raise CaseworkError(f"removed {removed_at} is before the report was received ({row[4]})")
        stored = {"url": url, "outcome": outcome, "hosting_country": hosting_country, "action": action,
                  "analyst": analyst, "assessed_at": _now(), "removed_at": removed_at}
        targets = [(report_id, url)]
        if row[3] is None:  # a group's first report: its duplicates follow
            normalized = urls[url - 1].get("normalized")
            for dup_id, dup_urls in db.execute("SELECT report_id, urls FROM reports WHERE duplicate_of = ?",
                                               (report_id,)).fetchall():
                targets += [(dup_id, n) for n, u in enumerate(json.loads(dup_urls), 1)
                            if u.get("normalized") == normalized]
        db.executemany(
            "INSERT OR REPLACE INTO assessments (report_id, url, outcome, hosting_country, action, analyst,"
            " assessed_at, removed_at) VALUES (?,?,?,?,?,?,?,?)",
            [(rid, n, outcome, hosting_country, action, analyst, stored["assessed_at"], removed_at)
             for rid, n in targets])
        _refresh_status(db, sorted({rid for rid, _ in targets}))
        detail = {"url": url, "outcome": outcome, "hosting_country": hosting_country, "action": action,
                  "removed_at": removed_at, "duplicates": len({rid for rid, _ in targets}) - 1, **(audit_detail or {})}
        audit.append(db, analyst, "assess", report_id, detail, "analyst")
    return stored


def copy_group_assessments(db: sqlite3.Connection, report_id: str, urls: list[dict], first: str) -> None:
    """Inside the caller's transaction: give a newly stored duplicate `report_id` the
    assessments its group's `first` report has for the same normalized URLs."""
    rows = db.execute("SELECT a.url, a.outcome, a.hosting_country, a.action, a.analyst, a.assessed_at, a.removed_at,"
                      " r.urls FROM assessments a JOIN reports r ON r.report_id = a.report_id"
                      " WHERE a.report_id = ?", (first,)).fetchall()
    if not rows:
        return
    first_urls = json.loads(rows[0][7])
    by_url = {first_urls[r[0] - 1].get("normalized"): r[1:7] for r in rows if r[0] <= len(first_urls)}
    copies = [(report_id, n, *by_url[u.get("normalized")]) for n, u in enumerate(urls, 1)
              if u.get("normalized") in by_url]
    db.executemany("INSERT OR REPLACE INTO assessments (report_id, url, outcome, hosting_country, action, analyst,"
                   " assessed_at, removed_at) VALUES (?,?,?,?,?,?,?,?)", copies)
    _refresh_status(db, [report_id])


def assign(db: sqlite3.Connection, report_id: str, analyst: str | None, *, by: str | None = None,
           by_kind: str = "analyst") -> None:
    """Give the report to `analyst` (None: to nobody). Audited as `by` (default `analyst`;
    the OS user when both are None). Raises `UnknownReport`."""
    actor, kind = (by, by_kind) if by else (analyst, "analyst") if analyst else (audit.os_user(), "os-user")
    with audit.transaction(db):
        _report_row(db, report_id)
        db.execute("UPDATE reports SET assigned_to = ? WHERE report_id = ?", (analyst, report_id))
        audit.append(db, actor, "assign", report_id, {"to": analyst}, kind)


def add_note(db: sqlite3.Connection, report_id: str, analyst: str, text: str) -> dict[str, Any]:
    """Add an analyst's note (kept whole; 1 to `MAX_NOTE` characters); return `{analyst, at,
    text}`. The audit entry names the note's number, never its text. Raises `UnknownReport`,
    `CaseworkError`."""
    if not isinstance(text, str) or not text.strip():
        raise CaseworkError("a note needs some text")
    if not _encodable(text):
        raise CaseworkError("a note must be valid Unicode text (it holds a lone surrogate)")
    if len(text) > MAX_NOTE:
        raise CaseworkError(f"a note has at most {MAX_NOTE} characters; this one has {len(text)}")
    at = _now()
    with audit.transaction(db):
        _report_row(db, report_id)
        note_id = db.execute("INSERT INTO notes (report_id, analyst, at, text) VALUES (?,?,?,?) RETURNING id",
                             (report_id, analyst, at, text)).fetchone()[0]
        audit.append(db, analyst, "note", report_id, {"note": note_id}, "analyst")
    return {"analyst": analyst, "at": at, "text": text}


@dataclass(frozen=True)
class QueueFilter:
    """What the queue shows. Every field optional; `received_from`/`received_to` are dates
    (``YYYY-MM-DD``, both inclusive, UTC); `host` an exact host of any normalized URL; `search`
    a substring of a normalized URL (ASCII case-insensitive); `assigned_to` an analyst's name."""

    portal: str | None = None
    lang: str | None = None
    status: str | None = None
    received_from: str | None = None
    received_to: str | None = None
    host: str | None = None
    search: str | None = None
    assigned_to: str | None = None


@dataclass
class QueuePage:
    """One page of the queue: `items` (dicts `{report_id, received_at, portal, lang, status,
    assigned_to, urls (normalized, in order), duplicate_count}`) and `next`, the `after`
    value of the following page (None on the last)."""

    items: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None


def _cursor(rank: int, received_at: str, report_id: str) -> str:
    raw = json.dumps([rank, received_at, report_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(after: str) -> tuple[int, str, str]:
    try:
        if not isinstance(after, str) or len(after) > 400:
            raise ValueError
        value = json.loads(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)))
        rank, received_at, report_id = value
        if not (type(rank) is int and isinstance(received_at, str) and isinstance(report_id, str)):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("this page link is not valid; start again from the first page") from None
    return rank, received_at, report_id


def _day(value: str, what: str) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadFilter(f"{what} must be a date, YYYY-MM-DD; not {value!r}"[:120])


def _check_text(value: object, what: str) -> None:
    """Refuse a filter value that is not text SQLite can take: not a string, over `MAX_SEARCH`
    characters, a control character (NUL ends an FTS5 query) or a lone surrogate."""
    if value is None:
        return
    if not isinstance(value, str):
        raise BadFilter(f"{what} must be text")
    if len(value) > MAX_SEARCH:
        raise BadFilter(f"{what} has at most {MAX_SEARCH} characters")
    if any(ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0 or 0xd800 <= ord(ch) < 0xe000 for ch in value):
        raise BadFilter(f"{what} cannot hold control characters")


def queue(db: sqlite3.Connection, filters: QueueFilter, *, limit: int = 50, after: str | None = None) -> QueuePage:
    """One page of the queue (module docstring: order, grouping, filters). Raises `BadFilter`,
    `BadCursor`."""
    for name in ("portal", "lang", "status", "received_from", "received_to", "host", "search", "assigned_to"):
        _check_text(getattr(filters, name), name.replace("_", " "))
    where, params = ["duplicate_of IS NULL"], []
    for column in ("portal", "lang", "assigned_to"):
        value = getattr(filters, column)
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if filters.status:
        try:
            check_status(filters.status)
        except ValueError as exc:
            raise BadFilter(str(exc)) from None
        where.append("queue_rank = ?")
        params.append(_RANK[filters.status])
    if filters.received_from:
        where.append("received_at >= ?")
        params.append(_day(filters.received_from, "received from").strftime("%Y-%m-%dT00:00:00Z"))
    if filters.received_to:
        day = _day(filters.received_to, "received to")
        where.append("received_at < ?")
        params.append("9999-99-99" if day == date.max else (day + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z"))
    if filters.host:
        where.append("report_id IN (SELECT report_id FROM report_hosts WHERE host = ?)")
        params.append(filters.host.strip().lower().rstrip("."))
    if filters.search:
        term = filters.search.strip()
        if len(term) >= 3:  # the trigram index: a quoted phrase is a case-insensitive substring
            where.append("report_id IN (SELECT report_id FROM url_search WHERE url_search MATCH ?)")
            params.append('urls : "' + term.replace('"', '""') + '"')
        elif term:  # too short for trigrams: a scan
            escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("url_key LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
    if after is not None:
        where.append("(queue_rank, received_at, report_id) > (?, ?, ?)")
        params += _uncursor(after)
    limit = max(1, min(int(limit), 500))
    rows = db.execute(
        "SELECT report_id, received_at, portal, lang, status, assigned_to, urls, queue_rank,"
        " (SELECT count(*) FROM reports d WHERE d.duplicate_of = reports.report_id)"
        f" FROM reports WHERE {' AND '.join(where)} ORDER BY queue_rank, received_at, report_id LIMIT ?",
        (*params, limit + 1)).fetchall()
    page = QueuePage(items=[
        {"report_id": r[0], "received_at": r[1], "portal": r[2], "lang": r[3], "status": r[4], "assigned_to": r[5],
         "urls": [u.get("normalized") for u in json.loads(r[6])], "duplicate_count": r[8]} for r in rows[:limit]])
    if len(rows) > limit:
        last = rows[limit - 1]
        page.next = _cursor(last[7], last[1], last[0])
    return page


def follow_up(db: sqlite3.Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    """URLs actioned (action other than ``none``) but not confirmed removed, oldest assessment
    first, of groups' first reports: `{report_id, url, normalized, action, hosting_country,
    assessed_at, analyst}`."""
    rows = db.execute(
        "SELECT a.report_id, a.url, json_extract(r.urls, '$[' || (a.url - 1) || '].normalized'), a.action,"
        " a.hosting_country, a.assessed_at, a.analyst FROM assessments a JOIN reports r ON r.report_id = a.report_id"
        " WHERE a.action IS NOT NULL AND a.action <> 'none' AND a.removed_at IS NULL AND r.duplicate_of IS NULL"
        " ORDER BY a.assessed_at, a.report_id, a.url LIMIT ?", (max(1, min(int(limit), 1000)),)).fetchall()
    return [{"report_id": r[0], "url": r[1], "normalized": r[2], "action": r[3], "hosting_country": r[4],
             "assessed_at": r[5], "analyst": r[6]} for r in rows]
