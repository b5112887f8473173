"""Backups of the inbox database, sealed with age; never plaintext on disk.

`backup` copies the live database with SQLite's online backup API (a consistent snapshot while
`inbox drain` goes on writing: WAL readers do not block the writer) into memory, seals the
bytes with age to every recipient given (the escrow and analysts' keys from config, plus the
identities the inbox itself holds, so the hotline can always restore), and writes the sealed
file with mode 0600 through a temporary file renamed into place. The copy's audit head
(`reportal.audit.head`) is recorded as a `backup` entry in the live database's audit log, so
a restored copy can be checked against it (`reportal audit verify --head HASH`).

`restore` opens a backup with an identity, checks it is a whole SQLite database whose audit
chain holds, and writes it to a path that must not exist yet (mode 0600). An audit anchor
file already beside that path (`audit-head.log`, written for the database the backup
replaces) describes a longer chain: kept as it was, it would make `reportal audit verify`
report the restored database as cut off. It is never discarded: restore renames it to
`audit-head.log.before-restore-<time>`, compares it with the restored chain (every line up to
the backup's last entry must agree) and says both in its answer; a fresh anchor is then written
from the restored chain. A folder holding another database (whose anchor that file is) is
refused: restore beside a live inbox would take its anchor from it.

`prune` deletes the backups of one series (`inbox-{time}.sqlite.age`) older than the keep
period, which may not exceed the shortest retention period of the portals: a report or email
purged from the inbox is gone from every backup that long after at most.
"""
from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyrage
from pyrage import x25519

__all__ = ["TIME_FIELD", "BackupError", "Backup", "backup", "expand_time", "prune", "restore"]

TIME_FIELD = "{time}"
_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore could not be made; the message says why and what to do."""


@dataclass
class Backup:
    """What `backup` wrote: the file, how many reports it holds, the copy's audit head."""

    path: Path
    reports: int
    audit_head: str | None
    size: int
    # restore only: where the anchor file found beside the database went, and what it says of
    # the restored chain (None when there was none)
    anchor_kept: Path | None = None
    anchor_note: str | None = None


def expand_time(out: str, now: datetime) -> Path:
    """`out` with `{time}` replaced by `now` as UTC ``YYYYMMDDTHHMMSSZ``."""
    return Path(out.replace(TIME_FIELD, now.astimezone(timezone.utc).strftime(_TIME_FORMAT)))


def _write_private(path: Path, data: bytes) -> None:
    """Write `data` to a new 0600 file beside `path`, fsync, rename over `path`."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def backup(db_path: Path, out: Path, recipients: list[x25519.Recipient], *, actor: str = "") -> Backup:
    """Seal a consistent copy of `db_path` to `recipients` into `out` (see the module docstring).

    The plaintext copy exists only in this process's memory. Raises `BackupError` (no database,
    no recipient, unwritable folder) or `sqlite3.Error`."""
    if not recipients:
        raise BackupError("no recipient to seal the backup to: add the escrow and analysts' keys to "
                          "`recipients` in sites/_defaults.yaml, or give --identity")
    if not db_path.is_file():
        raise BackupError(f"{db_path}: no inbox database there (give --db)")
    if not out.parent.is_dir():
        raise BackupError(f"{out.parent}: no such folder for the backup")
    source = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(":memory:")
    try:
        source.backup(copy)  # SQLite's online backup: one consistent snapshot, the drain keeps writing
        reports = copy.execute("SELECT count(*) FROM reports").fetchone()[0] if _has_table(copy, "reports") else 0
        head = _audit_head(copy)
        plaintext = copy.serialize()
    finally:
        copy.close()
        source.close()
    sealed = pyrage.encrypt(plaintext, recipients)
    del plaintext
    _write_private(out, sealed)
    _record(db_path, "backup", {"file": out.name, "reports": reports, "head": head}, actor)
    return Backup(out, reports, head, len(sealed))


def _audit_head(db: sqlite3.Connection) -> str | None:
    if not _has_table(db, "audit"):
        return None
    from reportal import audit

    return audit.head(db)


def _record(db_path: Path, action: str, detail: dict, actor: str) -> None:
    """Append an `action` entry (actor: the OS user) to the audit log of `db_path`, if it has one."""
    from reportal import audit

    db = sqlite3.connect(str(db_path), isolation_level=None, timeout=30)
    try:
        if _has_table(db, "audit"):
            audit.append(db, actor or audit.os_user(), action, None, detail, actor_kind="os-user")
            audit.anchor(db)
    finally:
        db.close()


def restore(sealed_path: Path, identities: list[x25519.Identity], db_path: Path, *, actor: str = "") -> Backup:
    """Open the backup `sealed_path` with `identities` and write it to `db_path` (must not
    exist; mode 0600). Checks: SQLite's integrity check, and the audit chain where there is one.
    Raises `BackupError`."""
    if db_path.exists():
        raise BackupError(f"{db_path} exists; restore to a new path, then move it into place with the "
                          "services stopped (docs/hotline.md)")
    other = _database_beside(db_path)
    if other is not None:  # one anchor file per folder: renaming it aside would take it from a live database
        raise BackupError(f"{db_path.parent} holds the database {other.name}, whose audit anchor is "
                          f"{db_path.with_name('audit-head.log')}; restore into a folder of its own, then move it "
                          "into place with the services stopped (docs/hotline.md)")
    try:
        plaintext = pyrage.decrypt(sealed_path.read_bytes(), identities)
    except FileNotFoundError:
        raise BackupError(f"{sealed_path}: no such backup") from None
    except pyrage.DecryptError:
        raise BackupError(f"{sealed_path}: none of the identities given opens it (or it is not an age file)") from None
    if not plaintext.startswith(_SQLITE_MAGIC):
        raise BackupError(f"{sealed_path}: opened, but it does not hold an SQLite database")
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(db_path, plaintext)
    del plaintext
    db = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{sealed_path}: the database in it is damaged (integrity check failed)")
        reports = db.execute("SELECT count(*) FROM reports").fetchone()[0] if _has_table(db, "reports") else 0
        head = _audit_head(db)
        if head is not None:
            from reportal import audit

            broken = audit.verify(db, anchor_file=None)
            if broken is not None:
                raise BackupError(f"{sealed_path}: the audit log in it does not hold ({broken})")
    except BaseException:
        db.close()
        db_path.unlink(missing_ok=True)
        raise
    kept, note = _keep_anchor_aside(db, db_path)
    db.close()
    _record(db_path, "restore", {"file": sealed_path.name, "reports": reports, "head": head,
                                 **({"previous_anchor": kept.name} if kept else {})}, actor)
    return Backup(db_path, reports, head, db_path.stat().st_size, kept, note)


def _database_beside(db_path: Path) -> Path | None:
    """Another SQLite database in `db_path`'s folder (its first bytes are SQLite's header), if
    any: `audit-head.log` there anchors its chain, not the one about to be restored."""
    if not db_path.parent.is_dir():
        return None
    for candidate in sorted(db_path.parent.iterdir()):
        if candidate == db_path or not candidate.is_file():
            continue
        try:
            with candidate.open("rb") as fh:
                if fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
                    return candidate
        except OSError:
            continue
    return None


def _keep_anchor_aside(db: sqlite3.Connection, db_path: Path) -> tuple[Path | None, str | None]:
    """Rename the anchor file beside `db_path` (if any) to a new `…before-restore-<time>` name
    and say how it compares with the restored chain of `db`: (new path, one-line note)."""
    from reportal import audit

    old = db_path.with_name(audit.ANCHOR_NAME)
    if not old.exists():
        return None, None
    stamp = datetime.now(timezone.utc).strftime(_TIME_FORMAT)
    kept, n = old.with_name(f"{old.name}.before-restore-{stamp}"), 1
    while kept.exists():
        n += 1
        kept = old.with_name(f"{old.name}.before-restore-{stamp}-{n}")
    os.rename(old, kept)
    chain = dict(db.execute("SELECT seq, hash FROM audit").fetchall()) if _has_table(db, "audit") else {}
    last = max(chain, default=0)
    agreed = later = 0
    for number, seq, digest in audit.anchored_lines(kept):
        if seq > last:
            later += 1
        elif chain.get(seq) != digest:
            return kept, (f"{kept.name} line {number} (entry {seq}) DISAGREES with the restored chain: the backup is not "
                          f"of the database that file anchored, or one of them was rewritten; keep both for an auditor")
        else:
            agreed += 1
    return kept, (f"{kept.name} agrees with the restored chain on its {agreed} entr{'y' if agreed == 1 else 'ies'} "
                  f"and holds {later} made after the backup (those are lost with the newer database)")


def prune(pattern: str, keep: timedelta, now: datetime) -> list[Path]:
    """Delete the backups of the series `pattern` (a path holding `{time}`) older than `keep`;
    return what was deleted. Files whose name does not carry a valid time are left alone."""
    path = Path(pattern)
    if TIME_FIELD not in path.name:
        return []
    prefix, suffix = path.name.split(TIME_FIELD, 1)
    shape = re.compile(re.escape(prefix) + r"(\d{8}T\d{6}Z)" + re.escape(suffix) + r"\Z")
    deleted = []
    for candidate in sorted(path.parent.iterdir()):
        match = shape.match(candidate.name)
        if not match or not candidate.is_file():
            continue
        taken = datetime.strptime(match.group(1), _TIME_FORMAT).replace(tzinfo=timezone.utc)
        if now - taken > keep:
            candidate.unlink()
            deleted.append(candidate)
    return deleted
