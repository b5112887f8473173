"""`reportal inbox purge`: keep what a reporter typed no longer than the config promises.

Periods come from each portal's `retention` (sites/_defaults.yaml, possibly shortened by the
portal; a portal no longer configured gets the defaults' periods), counted in days from the
report's `received_at`:
- after `email_days`: the email address is removed (column and plaintext, and from any
  conflicting content kept under the report's id), and pending mails of that report are dropped;
- after `report_days`: everything the reporter typed or chose is removed — `urls`,
  `url_key`, `kind`, `notes`, `referrer`, `email`, `plaintext` — together with what was
  derived from it or written about it: the report's hosts (`report_hosts`), its URLs in the
  search index (`url_search`, whose segments are then merged so no trigram of them stays), the
  analysts' notes, conflicting envelopes. `purged_at` records when.
What statistics need survives: `report_id`, `portal`, `lang`, `received_at`,
`duplicate_of`, `status`, `url_count`, and each assessment (outcome, hosting country,
action, analyst, times). The audit log is never touched; one `purge` entry records the
counts. SQLite's `secure_delete` overwrites the freed pages, and the WAL is checkpointed and
truncated afterwards, so the removed text does not linger in the file.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from reportal.site.config import Retention

__all__ = ["PurgeResult", "purge"]

_TIME = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class PurgeResult:
    """How many reports lost their email address (`emails`) and their content (`reports`)."""

    emails: int
    reports: int


def _tables(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def purge(db: sqlite3.Connection, periods: dict[str, Retention], default: Retention, *,
          actor: str, actor_kind: str = "os-user", now: datetime | None = None) -> PurgeResult:
    """Apply the retention `periods` (portal code → Retention; `default` for any other
    portal) to the migrated inbox `db` in one transaction with its audit entry, as `actor`.
    Raises `sqlite3.Error` (then nothing changed)."""
    from reportal import audit

    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    at = moment.strftime(_TIME)
    tables = _tables(db)
    db.execute("PRAGMA secure_delete = ON")
    emails = reports = 0
    db.execute("BEGIN IMMEDIATE")
    try:
        portals = [r[0] for r in db.execute("SELECT DISTINCT portal FROM reports")]
        for portal in portals:
            period = periods.get(portal, default)
            email_cutoff = (moment - timedelta(days=period.email_days)).strftime(_TIME)
            report_cutoff = (moment - timedelta(days=period.report_days)).strftime(_TIME)
            ids = [r[0] for r in db.execute(
                "SELECT report_id FROM reports WHERE portal = ? AND received_at < ? AND purged_at IS NULL",
                (portal, report_cutoff))]
            for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
                marks = ",".join("?" * len(chunk))
                db.execute("UPDATE reports SET urls = '[]', url_key = '', kind = NULL, notes = NULL, referrer = NULL,"
                           f" email = NULL, plaintext = NULL, purged_at = ? WHERE report_id IN ({marks})", (at, *chunk))
                for table in ("report_hosts", "url_search", "notes", "conflicts"):
                    if table in tables:
                        db.execute(f"DELETE FROM {table} WHERE report_id IN ({marks})", chunk)
            reports += len(ids)
            emails += db.execute(
                "UPDATE reports SET email = NULL, plaintext = json_set(plaintext, '$.email', NULL)"
                " WHERE portal = ? AND received_at < ? AND (email IS NOT NULL OR"
                " (plaintext IS NOT NULL AND json_extract(plaintext, '$.email') IS NOT NULL))",
                (portal, email_cutoff)).rowcount
            if "conflicts" in tables:  # conflicting content kept beside a report holds its own email
                db.execute("UPDATE OR REPLACE conflicts SET plaintext = json_set(plaintext, '$.email', NULL)"
                           " WHERE json_extract(plaintext, '$.email') IS NOT NULL AND report_id IN"
                           " (SELECT report_id FROM reports WHERE portal = ? AND received_at < ?)",
                           (portal, email_cutoff))
        if reports and "url_search" in tables:  # merge the index's segments: deleted URLs' trigrams go too
            db.execute("INSERT INTO url_search (url_search) VALUES ('optimize')")
        if "outbox" in tables:
            db.execute("UPDATE outbox SET state = 'dropped', reason = 'email-deleted' WHERE state = 'pending'"
                       " AND report_id IN (SELECT report_id FROM reports WHERE email IS NULL)")
        audit.append(db, actor, "purge", None, {"emails": emails, "reports": reports}, actor_kind=actor_kind)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return PurgeResult(emails, reports)
