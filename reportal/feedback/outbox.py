"""The outbox: which feedback mails are owed, sent, skipped or dropped (table `outbox`).

Rows are made by the database itself (triggers of reportal.inbox.schema step 6), in the
transaction that changes the report, whatever code path changed it:
- an `ack` when a report with an email address is stored;
- an `outcome` when its status becomes `assessed` (at most one per report: a later
  re-assessment sends nothing more).
Reports stored before this step get no mail (nobody is told months later).

A row is `pending` until `reportal inbox notify` settles it: `sent` (with `sent_at`),
`skipped` (`reason`: `limit` — this address had an acknowledgement in the last 24 hours;
`no-ack` — the report's acknowledgement was never sent, so neither is its outcome), or
`dropped` (`email-deleted` — retention removed the address first; `address-invalid` — what
was typed cannot be a mail header, e.g. it holds a line break). A failed send stays
`pending` with `attempts`, `last_attempt_at` and `last_error` (SMTP code and error class,
never the server's text, which may quote the address) and is tried again by the next run.

The outbox never stores an address: a mail is addressed from the report's `email` column
at send time. For the one-acknowledgement-a-day rule a sent row keeps `address_hash`,
HMAC-SHA256 of the lower-cased address under a key kept in a file beside the database
(`<db>.mailkey`, mode 0600, made on first use), and only for 48 hours.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

__all__ = ["HASH_KEPT", "RATE_WINDOW", "Pending", "address_hash", "describe", "mail_key", "mail_state",
           "pending", "settle"]

RATE_WINDOW = timedelta(hours=24)
HASH_KEPT = timedelta(hours=48)
_TIME = "%Y-%m-%dT%H:%M:%SZ"


def mail_key(db_path: Path) -> bytes:
    """The HMAC key beside the database (`<db>.mailkey`, 32 random bytes, mode 0600), made
    on first use. Losing it only forgets who had an acknowledgement in the last day."""
    path = db_path.with_name(db_path.name + ".mailkey")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    return path.read_bytes()


def address_hash(key: bytes, address: str) -> str:
    """HMAC-SHA256 (hex) of the address, trimmed and lower-cased."""
    return hmac.new(key, address.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Pending:
    """A pending mail with what composing and sending it needs (the address never leaves
    this object except into the SMTP envelope)."""

    id: int
    report_id: str
    kind: str
    email: str | None
    lang: str
    portal: str
    received_at: str
    ack_state: str | None
    outcomes: tuple[str, ...]


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_TIME)


def _outcomes(db: sqlite3.Connection, report_id: str, duplicate_of: str | None) -> tuple[str, ...]:
    """The report's current outcomes; a `duplicate` URL counts as every outcome of the
    report it duplicates (its group's first), if that one is assessed."""
    own = [r[0] for r in db.execute("SELECT outcome FROM assessments WHERE report_id = ? ORDER BY url", (report_id,))]
    if "duplicate" in own and duplicate_of:
        own += [r[0] for r in db.execute("SELECT outcome FROM assessments WHERE report_id = ?"
                                         " AND outcome <> 'duplicate'", (duplicate_of,))]
    return tuple(o for o in own if o != "duplicate")


def pending(db: sqlite3.Connection) -> list[Pending]:
    """Every pending mail, oldest first (so a report's acknowledgement precedes its outcome)."""
    rows = db.execute(
        "SELECT o.id, o.report_id, o.kind, r.email, r.lang, r.portal, r.received_at, r.duplicate_of,"
        " (SELECT a.state FROM outbox a WHERE a.report_id = o.report_id AND a.kind = 'ack')"
        " FROM outbox o JOIN reports r ON r.report_id = o.report_id WHERE o.state = 'pending' ORDER BY o.id").fetchall()
    return [Pending(i, rid, kind, email, lang, portal, received, ack,
                    _outcomes(db, rid, dup) if kind == "outcome" else ())
            for i, rid, kind, email, lang, portal, received, dup, ack in rows]


def recently_acknowledged(db: sqlite3.Connection, digest: str, now: datetime) -> bool:
    """True if an acknowledgement went to this address hash within `RATE_WINDOW` of `now`."""
    return db.execute("SELECT 1 FROM outbox WHERE address_hash = ? AND kind = 'ack' AND state = 'sent'"
                      " AND sent_at > ? LIMIT 1", (digest, _utc(now - RATE_WINDOW))).fetchone() is not None


def settle(db: sqlite3.Connection, mail_id: int, state: str, *, now: datetime, reason: str | None = None,
           error: str | None = None, digest: str | None = None) -> None:
    """Record what became of one mail, committed at once: `state` "sent" (with `digest`),
    "skipped"/"dropped" (with `reason`), or "pending" after a failed attempt (with `error`)."""
    at = _utc(now)
    with db:
        if state == "pending":
            db.execute("UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?"
                       " WHERE id = ?", (at, error, mail_id))
        elif state == "sent":
            db.execute("UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_attempt_at = ?,"
                       " sent_at = ?, last_error = NULL, address_hash = ? WHERE id = ?", (at, at, digest, mail_id))
        else:
            db.execute("UPDATE outbox SET state = ?, reason = ? WHERE id = ?", (state, reason, mail_id))


def forget_hashes(db: sqlite3.Connection, now: datetime) -> int:
    """Clear address hashes older than `HASH_KEPT`; returns how many."""
    with db:
        return db.execute("UPDATE outbox SET address_hash = NULL WHERE address_hash IS NOT NULL AND sent_at < ?",
                          (_utc(now - HASH_KEPT),)).rowcount


def mail_state(db: sqlite3.Connection, report_id: str) -> list[dict[str, Any]]:
    """A report's mails for the workbench: `[{kind, state, reason, created_at, attempts,
    last_attempt_at, last_error, sent_at}]`, acknowledgement first ([] if no email was given
    or the outbox table does not exist yet)."""
    try:
        rows = db.execute("SELECT kind, state, reason, created_at, attempts, last_attempt_at, last_error, sent_at"
                          " FROM outbox WHERE report_id = ? ORDER BY id", (report_id,)).fetchall()
    except sqlite3.OperationalError:
        return []
    keys = ("kind", "state", "reason", "created_at", "attempts", "last_attempt_at", "last_error", "sent_at")
    return [dict(zip(keys, row)) for row in rows]


_KINDS = {"ack": "Acknowledgement", "outcome": "Outcome mail"}
_REASONS = {"limit": "not sent: this address had an acknowledgement in the last 24 hours",
            "no-ack": "not sent: the acknowledgement of this report was not sent",
            "email-deleted": "not sent: the email address was deleted (retention)",
            "address-invalid": "not sent: the address given cannot be written to"}


def describe(mail: dict[str, Any]) -> dict[str, str]:
    """One `mail_state` row in the workbench's words: `{kind, state}` (English, plain text)."""
    if mail["state"] == "sent":
        state = f"sent {mail['sent_at']}"
    elif mail["state"] == "pending" and mail["attempts"]:
        state = (f"waiting: {mail['attempts']} attempt(s) failed, last {mail['last_attempt_at']} "
                 f"({mail['last_error']}); the next inbox notify tries again")
    elif mail["state"] == "pending":
        state = "waiting for the next inbox notify"
    else:
        state = _REASONS.get(mail["reason"] or "", f"not sent ({mail['reason']})")
    return {"kind": _KINDS.get(mail["kind"], mail["kind"]), "state": state}
