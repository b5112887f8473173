"""SQLite store of opened reports (WAL journal), idempotent on `report_id`."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Callable, Iterable

__all__ = ["REPORT_FIELDS", "Store"]

REPORT_FIELDS = ("report_id", "received_at", "portal", "lang", "urls", "kind", "notes", "referrer", "email")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    report_id   TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    portal      TEXT NOT NULL,
    lang        TEXT NOT NULL,
    urls        TEXT NOT NULL,          -- JSON [{typed, normalized}]
    url_key     TEXT NOT NULL,          -- sorted normalized URLs, for grouping duplicates
    kind        TEXT, notes TEXT, referrer TEXT, email TEXT,
    duplicate_of TEXT REFERENCES reports(report_id),
    stored_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX IF NOT EXISTS reports_url_key ON reports(url_key, received_at);
"""


class Store:
    """Reports opened from envelopes. `add_many` commits in one transaction."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add_many(self, reports: Iterable[dict[str, Any]],
                 on_stored: Callable[[dict[str, Any]], None] | None = None) -> int:
        """Store `reports` (envelope v1 plaintexts) durably; already-stored ids are skipped.
        Returns how many were new. Raises `sqlite3.Error` (then nothing was stored)."""
        new = 0
        added: list[dict[str, Any]] = []
        with self.db:
            for r in reports:
                key = json.dumps(sorted(u["normalized"] for u in r["urls"]))
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO reports (report_id, received_at, portal, lang, urls, url_key,"
                    " kind, notes, referrer, email) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (r["report_id"], r["received_at"], r["portal"], r["lang"],
                     json.dumps(r["urls"], ensure_ascii=False), key, r.get("kind"), r.get("notes"),
                     r.get("referrer"), r.get("email")))
                new += cur.rowcount
                if cur.rowcount:
                    added.append(r)
        for r in added if on_stored else []:
            on_stored(r)  # type: ignore[misc]
        return new

    def list(self) -> list[dict[str, Any]]:
        """Every stored report, oldest first, as envelope fields plus `duplicate_of`."""
        rows = self.db.execute(
            "SELECT report_id, received_at, portal, lang, urls, kind, notes, referrer, email, duplicate_of"
            " FROM reports ORDER BY received_at, report_id").fetchall()
        return [dict(zip(REPORT_FIELDS + ("duplicate_of",), row[:4] + (json.loads(row[4]),) + row[5:]))
                for row in rows]
