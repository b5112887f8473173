"""Versioned schema of the inbox database: numbered steps, each applied once, in order.

`PRAGMA user_version` holds how many steps a file has had. `migrate(db)` runs the missing
ones, each inside its own `BEGIN IMMEDIATE … COMMIT` (SQLite's DDL is transactional, and
`user_version` is written in the same transaction), so a crash leaves a file at a step
boundary, never half-way. Steps never drop or rewrite what a reporter sent: a file from any
earlier release keeps every report (tests/inbox/test_schema.py upgrades one made by the
release before the workbench).

Step 1 is the schema that shipped before the workbench; a file at user_version 0 that already
has the `reports` table is such a file, and step 1 is a no-op on it (it only adds the
`plaintext` column to files of the walking skeleton, as the shipped store did). Add a change
as a new function appended to `MIGRATIONS` (one per change; never edit a shipped step). A step
must not COMMIT and must not call `executescript` (which commits); use `_run`.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Callable
from urllib.parse import urlsplit

__all__ = ["MIGRATIONS", "SchemaTooNew", "SchemaTooOld", "check_current", "latest_version", "migrate", "search_text", "url_hosts",
           "version"]


class SchemaTooNew(RuntimeError):
    """The file was written by a newer reportal (more steps than this one knows)."""


class SchemaTooOld(RuntimeError):
    """A file opened read-only lacks steps (read-only cannot migrate it)."""


def check_current(db: sqlite3.Connection) -> None:
    """Raise `SchemaTooOld`/`SchemaTooNew` unless `db` is at `latest_version()` (for
    read-only connections, which cannot migrate)."""
    found = version(db)
    if found > len(MIGRATIONS):
        raise SchemaTooNew(f"the inbox database is at schema version {found}; this reportal knows "
                           f"{len(MIGRATIONS)}: upgrade reportal")
    if found < len(MIGRATIONS):
        raise SchemaTooOld(f"the inbox database is at schema version {found} of {len(MIGRATIONS)}; open it "
                           "read-write once to upgrade it (e.g. reportal inbox list)")


def _run(db: sqlite3.Connection, script: str) -> None:
    """Execute the statements of `script` one by one, inside the caller's transaction
    (`executescript` would COMMIT first). Statements are split where SQLite says one is
    complete, so a trigger's body may hold `;`."""
    statement = ""
    for piece in script.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip(" \n;"):
        raise ValueError(f"incomplete statement: {statement[:60]!r}")


def url_hosts(urls: list[dict]) -> set[str]:
    """The hosts of a report's normalized URLs (lowercase; a URL without one is skipped)."""
    hosts = set()
    for url in urls:
        try:
            host = urlsplit(url.get("normalized") or "").hostname
        except ValueError:
            continue
        if host:
            hosts.add(host)
    return hosts


def search_text(urls: list[dict]) -> str:
    """What the queue's search looks in: the normalized URLs, one per line."""
    return "\n".join(str(url.get("normalized") or "") for url in urls)


def _step_1_shipped(db: sqlite3.Connection) -> None:
    """The reports table as shipped before the workbench (incl. `plaintext`)."""
    _run(db, """
CREATE TABLE IF NOT EXISTS reports (
    report_id   TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,          -- UTC, YYYY-MM-DDTHH:MM:SSZ (sorts as text)
    portal      TEXT NOT NULL,
    lang        TEXT NOT NULL,
    urls        TEXT NOT NULL,          -- JSON [{typed, normalized}]
    url_key     TEXT NOT NULL,          -- JSON sorted set of normalized URLs, for grouping
    kind        TEXT, notes TEXT, referrer TEXT, email TEXT,
    duplicate_of TEXT REFERENCES reports(report_id),
    stored_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    plaintext   TEXT
);
CREATE INDEX IF NOT EXISTS reports_url_key ON reports(url_key, received_at);
CREATE INDEX IF NOT EXISTS reports_received ON reports(received_at, report_id)""")
    columns = {row[1] for row in db.execute("PRAGMA table_info(reports)")}
    if "plaintext" not in columns:  # files written by the walking skeleton
        db.execute("ALTER TABLE reports ADD COLUMN plaintext TEXT")


def _step_2_casework(db: sqlite3.Connection) -> None:
    """Status, assignment, assessments per URL, analysts' notes, hosts for the queue's filter."""
    _run(db, """
ALTER TABLE reports ADD COLUMN status TEXT NOT NULL DEFAULT 'new'
    CHECK (status IN ('new', 'in-progress', 'assessed'));
ALTER TABLE reports ADD COLUMN assigned_to TEXT;
ALTER TABLE reports ADD COLUMN url_count INTEGER NOT NULL DEFAULT 0;
UPDATE reports SET url_count = json_array_length(urls);
CREATE TABLE assessments (
    report_id       TEXT NOT NULL REFERENCES reports(report_id),
    url             INTEGER NOT NULL,   -- 1-based index into the report's urls
    outcome         TEXT NOT NULL,
    hosting_country TEXT,               -- ISO 3166-1 alpha-2 lowercase, or 'unknown'
    action          TEXT,
    analyst         TEXT NOT NULL,
    assessed_at     TEXT NOT NULL,      -- UTC, YYYY-MM-DDTHH:MM:SSZ
    removed_at      TEXT,
    PRIMARY KEY (report_id, url)
) WITHOUT ROWID;
CREATE INDEX assessments_follow_up ON assessments(assessed_at, report_id, url)
    WHERE action IS NOT NULL AND action <> 'none' AND removed_at IS NULL;
CREATE TABLE notes (
    id        INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    analyst   TEXT NOT NULL,
    at        TEXT NOT NULL,
    text      TEXT NOT NULL
);
CREATE INDEX notes_report ON notes(report_id, id);
CREATE TABLE report_hosts (
    host      TEXT NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports(report_id),
    PRIMARY KEY (host, report_id)
) WITHOUT ROWID;
ALTER TABLE reports ADD COLUMN queue_rank INTEGER
    GENERATED ALWAYS AS (CASE status WHEN 'new' THEN 0 WHEN 'in-progress' THEN 1 ELSE 2 END) VIRTUAL;
CREATE INDEX reports_queue ON reports(queue_rank, received_at, report_id) WHERE duplicate_of IS NULL;
CREATE INDEX reports_queue_portal ON reports(portal, queue_rank, received_at, report_id) WHERE duplicate_of IS NULL;
CREATE INDEX reports_queue_lang ON reports(lang, queue_rank, received_at, report_id) WHERE duplicate_of IS NULL;
CREATE INDEX reports_queue_assigned ON reports(assigned_to, queue_rank, received_at, report_id)
    WHERE duplicate_of IS NULL AND assigned_to IS NOT NULL;
CREATE INDEX reports_duplicates ON reports(duplicate_of, received_at) WHERE duplicate_of IS NOT NULL""")
    rows = db.execute("SELECT report_id, urls FROM reports")
    db.executemany("INSERT OR IGNORE INTO report_hosts (host, report_id) VALUES (?, ?)",
                   ((host, report_id) for report_id, urls in rows for host in url_hosts(json.loads(urls))))


def _step_3_audit(db: sqlite3.Connection) -> None:
    """The hash-chained audit log (reportal.audit); triggers refuse UPDATE and DELETE."""
    _run(db, """
CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('analyst', 'os-user', 'system')),
    action     TEXT NOT NULL,
    target     TEXT,
    detail     TEXT,                    -- canonical JSON, or NULL
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END""")


def _step_4_analysts(db: sqlite3.Connection) -> None:
    """Analysts' accounts (reportal.workbench.accounts)."""
    db.execute("""
CREATE TABLE analysts (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('analyst', 'supervisor')),
    password_hash  TEXT NOT NULL,       -- Argon2id, PHC string
    totp_secret    TEXT NOT NULL,       -- base32
    last_totp_step INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   TEXT,                -- UTC, YYYY-MM-DDTHH:MM:SSZ
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL,
    session_epoch  INTEGER NOT NULL DEFAULT 0
)""")


def _step_5_sessions(db: sqlite3.Connection) -> None:
    """The workbench's server-side sessions (reportal.workbench.sessions): the SHA-256 of each
    session id (never the id), who is logged in (None before login) and the account's
    `session_epoch` then, when it began and was last used, and its small data (JSON)."""
    _run(db, """
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,        -- SHA-256 hex of the cookie's session id
    analyst    TEXT,                    -- None until login
    epoch      INTEGER,                 -- the account's session_epoch at login
    created_at TEXT NOT NULL,           -- UTC, YYYY-MM-DDTHH:MM:SSZ
    last_seen  TEXT NOT NULL,           -- UTC, written at most once a minute
    data       TEXT NOT NULL DEFAULT '{}'
) WITHOUT ROWID;
CREATE INDEX sessions_last_seen ON sessions(last_seen)""")


def _step_6_outbox(db: sqlite3.Connection) -> None:
    """Feedback mails owed to reporters, filled by triggers (reportal.feedback.outbox): an
    `ack` when a report with an email is stored, an `outcome` when it becomes assessed.
    Reports stored before this step get no mail."""
    _run(db, """
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    report_id       TEXT NOT NULL REFERENCES reports(report_id),
    kind            TEXT NOT NULL CHECK (kind IN ('ack', 'outcome')),
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'dropped')),
    reason          TEXT,               -- skipped/dropped: limit, no-ack, email-deleted, address-invalid
    created_at      TEXT NOT NULL,      -- UTC, YYYY-MM-DDTHH:MM:SSZ
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error      TEXT,               -- e.g. '450 SMTPRecipientsRefused'; never the server's text
    sent_at         TEXT,
    address_hash    TEXT,               -- HMAC-SHA256 of the address, kept 48 hours after sending
    UNIQUE (report_id, kind)
);
CREATE INDEX outbox_pending ON outbox(id) WHERE state = 'pending';
CREATE INDEX outbox_hash ON outbox(address_hash, sent_at) WHERE address_hash IS NOT NULL;
CREATE TRIGGER outbox_ack AFTER INSERT ON reports
    WHEN NEW.email IS NOT NULL AND NEW.email <> '' BEGIN
    INSERT OR IGNORE INTO outbox (report_id, kind, created_at)
        VALUES (NEW.report_id, 'ack', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
END;
CREATE TRIGGER outbox_outcome AFTER UPDATE OF status ON reports
    WHEN NEW.status = 'assessed' AND OLD.status <> 'assessed' AND NEW.email IS NOT NULL AND NEW.email <> '' BEGIN
    INSERT OR IGNORE INTO outbox (report_id, kind, created_at)
        VALUES (NEW.report_id, 'outcome', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
END""")


def _step_7_purged_at(db: sqlite3.Connection) -> None:
    """`reports.purged_at`: when retention removed the report's content (reportal.feedback.retention)."""
    db.execute("ALTER TABLE reports ADD COLUMN purged_at TEXT")



def _step_8_stats_index(db: sqlite3.Connection) -> None:
    """A covering index for `reportal stats` (per portal and month) and `inbox purge`."""
    db.execute("CREATE INDEX reports_stats ON reports(portal, received_at, status, duplicate_of, report_id)")


def _step_9_url_search(db: sqlite3.Connection) -> None:
    """A trigram full-text index of each report's normalized URLs (FTS5, SQLite ≥ 3.34) for
    the queue's search: a substring of 3 or more characters is found without a scan."""
    db.execute("CREATE VIRTUAL TABLE url_search USING fts5(report_id UNINDEXED, urls, tokenize='trigram')")
    db.executemany("INSERT INTO url_search (report_id, urls) VALUES (?, ?)",
                   ((report_id, search_text(json.loads(urls)))
                    for report_id, urls in db.execute("SELECT report_id, urls FROM reports")))


def _step_10_conflicts(db: sqlite3.Connection) -> None:
    """Conflicting content under a stored report_id (a forged or corrupted envelope reusing an
    id; reportal.inbox.guard, docs/keys.md): kept whole for an analyst, never merged into nor
    replacing the stored report; the same conflicting message delivered again is kept once."""
    _run(db, """
CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY,
    report_id   TEXT NOT NULL,          -- the stored report whose id this content reused
    received_at TEXT NOT NULL,          -- as the conflicting plaintext says
    plaintext   TEXT NOT NULL,          -- JSON, the whole conflicting plaintext (unpadded)
    stored_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (report_id, plaintext)
)""")


_FACT = """{a}.report_id, {a}.url, r.portal, substr(r.received_at, 1, 7), {a}.outcome,
    max(0.0, (julianday({a}.assessed_at) - julianday(r.received_at)) * 24),
    CASE WHEN {a}.removed_at IS NULL THEN NULL
         ELSE max(0.0, (julianday({a}.removed_at) - julianday(r.received_at)) * 24) END"""


def _step_11_stats_facts(db: sqlite3.Connection) -> None:
    """What `reportal stats` counts, one narrow row per assessed URL, kept by triggers on
    `assessments`: portal and month of receipt, outcome, hours to assessment and to removal
    (reportal.stats.figures reads indexes only, no join). Holds nothing a reporter typed."""
    _run(db, f"""
CREATE TABLE stats_facts (
    report_id     TEXT NOT NULL,
    url           INTEGER NOT NULL,
    portal        TEXT NOT NULL,
    month         TEXT NOT NULL,          -- YYYY-MM of the report's received_at
    outcome       TEXT NOT NULL,
    to_assessment REAL,                   -- hours from receipt to assessment (≥ 0)
    to_removal    REAL,                   -- hours from receipt to confirmed removal (≥ 0)
    PRIMARY KEY (report_id, url)
) WITHOUT ROWID;
CREATE INDEX stats_facts_assessment ON stats_facts(portal, month, to_assessment, outcome);
CREATE INDEX stats_facts_removal ON stats_facts(portal, month, to_removal) WHERE to_removal IS NOT NULL;
INSERT INTO stats_facts SELECT {_FACT.format(a="a")} FROM assessments a JOIN reports r ON r.report_id = a.report_id;
CREATE TRIGGER stats_facts_insert AFTER INSERT ON assessments BEGIN
    INSERT OR REPLACE INTO stats_facts SELECT {_FACT.format(a="NEW")} FROM reports r WHERE r.report_id = NEW.report_id;
END;
CREATE TRIGGER stats_facts_update AFTER UPDATE ON assessments BEGIN
    DELETE FROM stats_facts WHERE report_id = OLD.report_id AND url = OLD.url;
    INSERT OR REPLACE INTO stats_facts SELECT {_FACT.format(a="NEW")} FROM reports r WHERE r.report_id = NEW.report_id;
END;
CREATE TRIGGER stats_facts_delete AFTER DELETE ON assessments BEGIN
    DELETE FROM stats_facts WHERE report_id = OLD.report_id AND url = OLD.url;
END""")


def _step_12_audit_indexes(db: sqlite3.Connection) -> None:
    """Indexes for the audit page's filters (by report, by actor, by action), newest first."""
    _run(db, """
CREATE INDEX audit_target ON audit(target, seq) WHERE target IS NOT NULL;
CREATE INDEX audit_actor ON audit(actor, seq);
CREATE INDEX audit_action ON audit(action, seq)""")



def _step_13_stats_outcome_index(db: sqlite3.Connection) -> None:
    """Outcome counts per portal and month read in index order (no sort): half the CPU of
    `reportal stats`."""
    db.execute("CREATE INDEX stats_facts_outcome ON stats_facts(portal, month, outcome, to_assessment)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _step_1_shipped,
    _step_2_casework,
    _step_3_audit,
    _step_4_analysts,
    _step_5_sessions,
    _step_6_outbox,
    _step_7_purged_at,
    _step_8_stats_index,
    _step_9_url_search,
    _step_10_conflicts,
    _step_11_stats_facts,
    _step_12_audit_indexes,
    _step_13_stats_outcome_index,
]


def latest_version() -> int:
    """The user_version a file has after `migrate`."""
    return len(MIGRATIONS)


def version(db: sqlite3.Connection) -> int:
    """The file's `PRAGMA user_version`."""
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite3.Connection) -> int:
    """Apply the steps `db` lacks, each in its own transaction; return the version reached.

    `db` must be in autocommit mode (`isolation_level=None`) and outside a transaction.
    Safe to run from several processes at once (the version is re-read under the write lock).
    Raises `SchemaTooNew` for a file written by a newer release, `sqlite3.Error` if a step
    fails (that step is rolled back; earlier steps stay).
    """
    while True:
        if version(db) > len(MIGRATIONS):
            raise SchemaTooNew(f"the inbox database is at schema version {version(db)}; this reportal "
                               f"knows {len(MIGRATIONS)}: upgrade reportal")
        if version(db) == len(MIGRATIONS):
            return len(MIGRATIONS)
        db.execute("BEGIN IMMEDIATE")
        try:
            current = version(db)
            if current < len(MIGRATIONS):
                MIGRATIONS[current](db)
                db.execute(f"PRAGMA user_version = {current + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
