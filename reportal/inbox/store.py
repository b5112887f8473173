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

__all__ = ["DEFAULT_DUPLICATE_WINDOW", "REPORT_FIELDS", "Added", "AmbiguousId", "Store", "url_key"]

REPORT_FIELDS = ("report_id", "received_at", "portal", "lang", "urls", "kind", "notes", "referrer", "email")
DEFAULT_DUPLICATE_WINDOW = timedelta(hours=72)
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    report_id   TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,          -- UTC, YYYY-MM-DDTHH:MM:SSZ (sorts as text)
    portal      TEXT NOT NULL,
    lang        TEXT NOT NULL,
    urls        TEXT NOT NULL,          -- JSON [{typed, normalized}]
    url_key     TEXT NOT NULL,          -- JSON sorted set of normalized URLs, for grouping
    kind        TEXT, notes TEXT, referrer TEXT, email TEXT,
    duplicate_of TEXT REFERENCES reports(report_id),
    stored_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS reports_url_key ON reports(url_key, received_at);
CREATE INDEX IF NOT EXISTS reports_received ON reports(received_at, report_id);
"""
_COLUMNS = "report_id, received_at, portal, lang, urls, kind, notes, referrer, email, duplicate_of, plaintext"


class AmbiguousId(LookupError):
    """An id prefix given to `Store.get` matches several reports (`matches`: their ids)."""

    def __init__(self, matches: list[str]):
        super().__init__(f"{len(matches)} reports match")
        self.matches = matches


@dataclass
class Added:
    """Result of `Store.add_many`: the `new` reports (each with its `duplicate_of`) and how
    many were `already` stored (a message delivered again)."""

    new: list[dict[str, Any]] = field(default_factory=list)
    already: int = 0


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
    have been received and still be grouped. `readonly` opens an existing file for the
    analysts' views (raises `sqlite3.OperationalError` if it does not exist).
    """

    def __init__(self, path: Path, duplicate_window: timedelta = DEFAULT_DUPLICATE_WINDOW,
                 readonly: bool = False):
        self.duplicate_window = duplicate_window
        if readonly:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                      isolation_level=None, timeout=30)
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite's -wal/-shm copy this mode
        self.db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a commit survives power loss, not only a crash
        self.db.executescript(_SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(reports)")}
        if "plaintext" not in columns:  # files written by the walking skeleton
            self.db.execute("ALTER TABLE reports ADD COLUMN plaintext TEXT")

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
        skipped and counted. Raises `sqlite3.Error`; then nothing of the batch was stored.
        """
        added = Added()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for report in reports:
                if self.db.execute("SELECT 1 FROM reports WHERE report_id = ?", (report["report_id"],)).fetchone():
                    added.already += 1
                    continue
                key = url_key(report)
                group = self._group_of(key, report["received_at"])
                self.db.execute(
                    "INSERT INTO reports (report_id, received_at, portal, lang, urls, url_key, kind, notes,"
                    " referrer, email, duplicate_of, plaintext) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (report["report_id"], report["received_at"], report["portal"], report["lang"],
                     json.dumps(report["urls"], ensure_ascii=False), key, report.get("kind"),
                     report.get("notes"), report.get("referrer"), report.get("email"), group,
                     json.dumps(report, ensure_ascii=False, separators=(",", ":"))))
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

    def count(self) -> int:
        """How many reports are stored."""
        return self.db.execute("SELECT count(*) FROM reports").fetchone()[0]

    def iter_reports(self) -> Iterator[dict[str, Any]]:
        """Every stored report, oldest first: its plaintext fields plus `duplicate_of`."""
        cursor = self.db.execute(f"SELECT {_COLUMNS} FROM reports ORDER BY received_at, report_id")
        for row in cursor:
            yield _as_report(row)

    def list(self) -> list[dict[str, Any]]:
        """`iter_reports` as a list."""
        return list(self.iter_reports())

    def get(self, report_id: str) -> dict[str, Any] | None:
        """The report whose id is `report_id`, or the only one starting with it (≥ 4 characters).

        Returns None if none matches; raises `AmbiguousId` if a prefix matches several."""
        row = self.db.execute(f"SELECT {_COLUMNS} FROM reports WHERE report_id = ?", (report_id,)).fetchone()
        if row or len(report_id) < 4:
            return _as_report(row) if row else None
        escaped = report_id.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM reports WHERE report_id LIKE ? ESCAPE '\\'"
                               " ORDER BY report_id LIMIT 11", (escaped + "%",)).fetchall()
        if len(rows) > 1:
            raise AmbiguousId([r[0] for r in rows])
        return _as_report(rows[0]) if rows else None


def _as_report(row: tuple) -> dict[str, Any]:
    if row[10] is not None:
        report = json.loads(row[10])
    else:  # stored before the plaintext column existed
        report = dict(zip(REPORT_FIELDS, row[:4] + (json.loads(row[4]),) + row[5:9]))
    report["duplicate_of"] = row[9]
    return report
