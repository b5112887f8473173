"""SQLite store of opened reports: WAL journal, one transaction per batch, idempotent on `report_id`.

Each report keeps its whole plaintext (JSON, unpadded) so nothing in an envelope is lost,
plus columns for listing and grouping. Reports whose sets of normalized URLs are equal and
whose `received_at` lie within the duplicate window of one another are linked:
the later one's `duplicate_of` names the group's first report. Both are kept.
The database file is created with mode 0600 (it holds report plaintexts).
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from reportal import audit
from reportal.inbox import casework
from reportal.inbox.casework import QueueFilter, QueuePage
from reportal.inbox.schema import check_current, migrate, search_text, url_hosts

__all__ = ["DEFAULT_DUPLICATE_WINDOW", "REPORT_FIELDS", "Added", "AmbiguousId", "QueueFilter", "QueuePage", "Store",
           "url_key"]

# The plaintext keys the reports table has columns for (schema step 1, for listing and for rows
# stored before the plaintext column). Every other field of reportal/fields.py is kept in the
# stored plaintext only: a new field needs no column and no migration.
REPORT_FIELDS = ("report_id", "received_at", "portal", "lang", "urls", "kind", "notes", "referrer", "email")
DEFAULT_DUPLICATE_WINDOW = timedelta(hours=72)
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_COLUMNS = "report_id, received_at, portal, lang, urls, kind, notes, referrer, email, duplicate_of, plaintext"
_ASSESSMENTS = ("(SELECT json_group_array(json_object('url', url, 'outcome', outcome, 'hosting_country',"
                " hosting_country, 'action', action, 'analyst', analyst, 'assessed_at', assessed_at, 'removed_at',"
                " removed_at)) FROM (SELECT * FROM assessments a WHERE a.report_id = reports.report_id ORDER BY url))")
_LISTED = f"{_COLUMNS}, status, {_ASSESSMENTS}"


class AmbiguousId(LookupError):
    """An id prefix given to `Store.get` matches several reports (`matches`: their ids)."""

    def __init__(self, matches: list[str]):
        super().__init__(f"{len(matches)} reports match")
        self.matches = matches


@dataclass
class Added:
    """Result of `Store.add_many`: the `new` reports (each with its `duplicate_of`), how many
    were `already` stored with the same content (a message delivered again), and how many
    `conflicts`: content that differs from the stored report with its id (kept apart)."""

    new: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0
    conflicts: int = 0


def url_key(report: dict[str, Any]) -> str:
    """The grouping key: the sorted set of a report's normalized URLs, as JSON."""
    return json.dumps(sorted({u["normalized"] for u in report["urls"]}), ensure_ascii=False)


def _shift(received_at: str, delta: timedelta) -> str:
    try:
        moment = datetime.strptime(received_at, _TIME).replace(tzinfo=timezone.utc) + delta
    except OverflowError:  # a window reaching past year 1 or 9999: every earlier/later time
        return "0000-00-00T00:00:00Z" if delta < timedelta(0) else "9999-99-99T99:99:99Z"
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"  # strftime does not pad years below 1000


class Store:
    """Reports opened from envelopes, in the SQLite file `path`.

    `duplicate_window`: how far apart (either way) two reports with the same URL set may
    have been received and still be grouped. The file is created if needed and migrated to
    the latest schema (reportal.inbox.schema). `readonly` opens an existing, current file
    without writing (raises `sqlite3.OperationalError` if it does not exist, `SchemaTooOld`
    if it lacks migration steps, `SchemaTooNew` if it has more).
    """

    def __init__(self, path: Path, duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
                 readonly: bool = False):
        self.duplicate_window = duplicate_window
        if readonly:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                      isolation_level=None, timeout=30)
            try:
                check_current(self.db)
            except BaseException:
                self.db.close()
                raise
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:  # created 0600 (SQLite's -wal/-shm copy its mode); O_EXCL: an existing file is never
            # opened here, since closing any descriptor of it would drop every POSIX lock this process
            # holds on it (other threads' stores), and another process closing its connection would then
            # delete the -wal file they still write to (sqlite.org/howtocorrupt.html section 2.2)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not only a crash
        migrate(self.db)

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_many(self, reports: Iterable[dict[str, Any]]) -> Added:
        """Store checked envelope v1 plaintexts in one transaction (committed durably on return).

        Reports whose `report_id` is already stored (in the file or earlier in the batch) are
        skipped and counted when their content is the same; when it differs, the new content
        goes to the `conflicts` table (once) for an analyst and is counted there. Raises
        `sqlite3.Error`; then nothing of the batch was stored.
        """
        added = Added()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for report in reports:
                row = self.db.execute(f"SELECT {_COLUMNS} FROM reports WHERE report_id = ?",
                                      (report["report_id"],)).fetchone()
                if row:
                    stored = _as_report(row)
                    del stored["duplicate_of"]
                    if stored == report:
                        added.already += 1
                    else:
                        self.db.execute("INSERT OR IGNORE INTO conflicts (report_id, received_at, plaintext)"
                                        " VALUES (?,?,?)", (report["report_id"], report["received_at"],
                                                            json.dumps(report, ensure_ascii=False, separators=(",", ":"))))
                        added.conflicts += 1
                    continue
                key = url_key(report)
                group = self._group_of(key, report["received_at"])
                self.db.execute(
                    "INSERT INTO reports (report_id, received_at, portal, lang, urls, url_key, kind, notes,"
                    " referrer, email, duplicate_of, plaintext, url_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (report["report_id"], report["received_at"], report["portal"], report["lang"],
                     json.dumps(report["urls"], ensure_ascii=False), key, report.get("kind"),
                     report.get("notes"), report.get("referrer"), report.get("email"), group,
                     json.dumps(report, ensure_ascii=False, separators=(",", ":")), len(report["urls"])))
                self.db.executemany("INSERT OR IGNORE INTO report_hosts (host, report_id) VALUES (?, ?)",
                                    [(host, report["report_id"]) for host in url_hosts(report["urls"])])
                self.db.execute("INSERT INTO url_search (report_id, urls) VALUES (?, ?)",
                                (report["report_id"], search_text(report["urls"])))
                if group is not None:
                    casework.copy_group_assessments(self.db, report["report_id"], report["urls"], group)
                added.new.append({**report, "duplicate_of": group})
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return added

    def _group_of(self, key: str, received_at: str) -> str | None:
        row = self.db.execute(
            "SELECT COALESCE(duplicate_of, report_id) FROM reports WHERE url_key = ?"
            " AND received_at BETWEEN ? AND ? ORDER BY received_at, report_id LIMIT 1",
            (key, _shift(received_at, -self.duplicate_window), _shift(received_at, self.duplicate_window))).fetchone()
        return row[0] if row else None

    def conflicts(self, report_id: str, *, limit: int = -1) -> list[dict[str, Any]]:
        """The conflicting contents received under `report_id`, oldest first:
        ``[{received_at, stored_at, report}]`` (`report`: the whole plaintext); at most `limit`
        of them (-1: all). [] if none, or if a read-only file predates the table (schema step 10)."""
        try:
            rows = self.db.execute("SELECT received_at, stored_at, plaintext FROM conflicts WHERE report_id = ?"
                                   " ORDER BY stored_at, id LIMIT ?", (report_id, limit)).fetchall()
        except sqlite3.OperationalError:  # no such table: an un-migrated file opened read-only
            return []
        return [{"received_at": r[0], "stored_at": r[1], "report": json.loads(r[2])} for r in rows]

    def conflict_count(self, report_id: str) -> int:
        """How many conflicting contents were received under `report_id` (0 as for `conflicts`)."""
        try:
            return self.db.execute("SELECT count(*) FROM conflicts WHERE report_id = ?", (report_id,)).fetchone()[0]
        except sqlite3.OperationalError:
            return 0

    def count(self) -> int:
        """How many reports are stored."""
        return self.db.execute("SELECT count(*) FROM reports").fetchone()[0]

    def iter_reports(self) -> Iterator[dict[str, Any]]:
        """Every stored report, oldest first: its plaintext fields plus `duplicate_of`,
        `status` and `assessments` (as in `get`)."""
        cursor = self.db.execute(f"SELECT {_LISTED} FROM reports ORDER BY received_at, report_id")
        for row in cursor:
            yield {**_as_report(row), "status": row[11], "assessments": json.loads(row[12])}

    def list(self) -> list[dict[str, Any]]:
        """`iter_reports` as a list."""
        return list(self.iter_reports())

    def get(self, report_id: str) -> dict[str, Any] | None:
        """The report whose id is `report_id`, or the only one starting with it (≥ 4 characters):
        its plaintext fields plus `duplicate_of`, `status`, `assessments` (`[{url, outcome,
        hosting_country, action, analyst, assessed_at, removed_at}]`, `url` 1-based),
        `assigned_to` (a name or None), `duplicates` (ids of the reports grouped under it,
        oldest first) and `analyst_notes` (`[{analyst, at, text}]`, oldest first).

        Returns None if none matches; raises `AmbiguousId` if a prefix matches several."""
        try:
            report_id.encode("utf-8")
        except UnicodeEncodeError:  # a command-line argument that was not UTF-8: no id is like it
            return None
        row = self.db.execute(f"SELECT {_COLUMNS} FROM reports WHERE report_id = ?", (report_id,)).fetchone()
        if row is None and len(report_id) >= 4:
            escaped = report_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM reports WHERE report_id LIKE ? ESCAPE '\\'"
                                   " ORDER BY report_id LIMIT 11", (escaped + "%",)).fetchall()
            if len(rows) > 1:
                raise AmbiguousId([r[0] for r in rows])
            row = rows[0] if rows else None
        if row is None:
            return None
        return {**_as_report(row), **casework.casework_of(self.db, row[0])}

    # -- the analysts' work (reportal.inbox.casework has the rules) --------------------------

    def assess(self, report_id: str, url: int, *, outcome: str, hosting_country: str | None = None,
               action: str | None = None, removed_at: str | None = None, analyst: str,
               audit_detail: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record or replace one URL's assessment; see `casework.assess`."""
        return casework.assess(self.db, report_id, url, outcome=outcome, hosting_country=hosting_country,
                               action=action, removed_at=removed_at, analyst=analyst, audit_detail=audit_detail)

    def assign(self, report_id: str, analyst: str | None, *, by: str | None = None, by_kind: str = "analyst") -> None:
        """Give a report to `analyst` (None: nobody); see `casework.assign`."""
        casework.assign(self.db, report_id, analyst, by=by, by_kind=by_kind)

    def add_note(self, report_id: str, analyst: str, text: str) -> dict[str, Any]:
        """Add an analyst's note; see `casework.add_note`."""
        return casework.add_note(self.db, report_id, analyst, text)

    def queue(self, filters: casework.QueueFilter | None = None, *, limit: int = 50,
              after: str | None = None) -> casework.QueuePage:
        """One page of the queue of work; see `casework.queue`."""
        return casework.queue(self.db, filters or casework.QueueFilter(), limit=limit, after=after)

    def follow_up(self, *, limit: int = 100) -> list[dict[str, Any]]:
        """URLs actioned but not confirmed removed, oldest first; see `casework.follow_up`."""
        return casework.follow_up(self.db, limit=limit)

    def record(self, actor: str, action: str, target: str | None = None, detail: dict[str, Any] | None = None,
               actor_kind: str = "analyst") -> str:
        """Write one audit entry in its own transaction (e.g. ``view-report``), anchor it;
        return its hash. See `reportal.audit`."""
        with audit.transaction(self.db):
            digest = audit.append(self.db, actor, action, target, detail, actor_kind)
        return digest


def _as_report(row: tuple) -> dict[str, Any]:
    if row[10] is not None:
        report = json.loads(row[10])
    else:  # stored before the plaintext column existed
        report = dict(zip(REPORT_FIELDS, row[:4] + (json.loads(row[4]),) + row[5:9]))
    report["duplicate_of"] = row[9]
    return report
