"""The tamper-evident audit log: who did what, when, to which report or account.

Each entry is a row of the `audit` table (reportal.inbox.schema, step 3) chained to the one
before it: ``hash = SHA-256(canonical(seq, at, actor, actor_kind, action, target, detail,
prev_hash))``, where canonical is the compact JSON array of those eight values (UTF-8, no
spaces; `detail` as its stored JSON text) and the first entry's `prev_hash` is 64 zeros.
Triggers refuse UPDATE and DELETE, but a chain alone can be recomputed by anyone who can
write the database file, so its head is also anchored outside it: `anchor` appends
``seq hash`` lines to an append-only file (default ``audit-head.log`` beside the database),
backups record `head`, and `verify` checks the chain against either.

Entries hold ids, url indexes, vocabulary values and account names, never report content
(so a purge of reports leaves the log whole). Actions (machine names): login, login-failed,
logout, view-report, assess, assign, note, export, list, show, analyst-add, analyst-disable,
analyst-reset-otp, password-change, purge, backup, restore, stats-exact; others may be added.
"""
from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import logging
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

__all__ = [
    "ACTOR_KINDS", "ANCHOR_NAME", "GENESIS", "AuditBreak", "anchor", "anchor_path", "anchored_lines", "append", "entries", "head",
    "os_user", "transaction", "verify",
]

GENESIS = "0" * 64
ACTOR_KINDS = ("analyst", "os-user", "system")
ANCHOR_NAME = "audit-head.log"
_log = logging.getLogger("reportal.audit")
_FIELDS = "seq, at, actor, actor_kind, action, target, detail, prev_hash, hash"


@dataclass(frozen=True)
class AuditBreak:
    """Where the chain stops holding: the entry `seq` (0 when the problem is the chain's
    end as a whole, e.g. a `--head` not found) and `reason`, one sentence."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}" if self.seq else self.reason


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def os_user() -> str:
    """The operating-system user running this process (the actor of CLI entries)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER: a container's bare uid
        return f"uid-{os.getuid()}"


def _hash(seq: int, at: str, actor: str, actor_kind: str, action: str, target: str | None,
          detail: str | None, prev_hash: str) -> str:
    canonical = json.dumps([seq, at, actor, actor_kind, action, target, detail, prev_hash],
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def append(db: sqlite3.Connection, actor: str, action: str, target: str | None = None,
           detail: dict[str, Any] | None = None, actor_kind: str = "analyst", *, at: str | None = None) -> str:
    """Add one entry; return its hash.

    Call it inside the transaction of the change it records (then both commit or neither);
    outside a transaction it opens and commits its own (`BEGIN IMMEDIATE`). `detail` is
    JSON-serializable and holds ids, indexes and vocabulary values only, never report content.
    `at` (UTC ``YYYY-MM-DDTHH:MM:SSZ``) defaults to now. After the commit, call `anchor` (the
    Store and Accounts do) so the anchor file keeps up. Raises `ValueError` for an unknown
    `actor_kind`, `sqlite3.Error` from the database.
    """
    if actor_kind not in ACTOR_KINDS:
        raise ValueError(f"actor_kind must be one of {', '.join(ACTOR_KINDS)}")
    own = not db.in_transaction
    if own:
        db.execute("BEGIN IMMEDIATE")
    try:
        last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        text = None if detail is None else json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                                      separators=(",", ":"))
        at = at or _now()
        digest = _hash(seq, at, actor, actor_kind, action, target, text, prev)
        db.execute(f"INSERT INTO audit ({_FIELDS}) VALUES (?,?,?,?,?,?,?,?,?)",
                   (seq, at, actor, actor_kind, action, target, text, prev, digest))
        if own:
            db.execute("COMMIT")
    except BaseException:
        if own:
            db.execute("ROLLBACK")
        raise
    return digest


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` and re-raise on error), then `anchor`
    the entries it appended. For changes that `append` records. An anchor file that cannot be
    written is a warning (logger ``reportal.audit``), not an error: the change is committed."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    try:
        anchor(db)
    except OSError as exc:  # the change is committed; the next anchor catches up
        _log.warning("audit: cannot append to the anchor file %s (%s); verify against it will "
                     "report the lag until it is writable again", anchor_path(db), exc.strerror or exc)


def head(db: sqlite3.Connection) -> str:
    """The last entry's hash (64 zeros for an empty log)."""
    row = db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else GENESIS


def entries(db: sqlite3.Connection, *, before: int | None = None, limit: int = 100,
            actor: str | None = None, action: str | None = None, target: str | None = None) -> list[dict[str, Any]]:
    """Entries newest first (`seq` below `before`, if given), optionally one actor's, one
    action's or one target's; each `{seq, at, actor, actor_kind, action, target, detail, hash}`
    with `detail` parsed (or None)."""
    where, params = ["1"], []
    for column, value in (("actor", actor), ("action", action), ("target", target)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if before is not None:
        where.append("seq < ?")
        params.append(before)
    rows = db.execute(f"SELECT {_FIELDS} FROM audit WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?",
                      (*params, limit)).fetchall()
    return [{"seq": r[0], "at": r[1], "actor": r[2], "actor_kind": r[3], "action": r[4], "target": r[5],
             "detail": None if r[6] is None else json.loads(r[6]), "hash": r[8]} for r in rows]


def anchor_path(db: sqlite3.Connection) -> Path | None:
    """The default anchor file: ``audit-head.log`` beside the database file (None in memory)."""
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file).with_name(ANCHOR_NAME)
    return None


def anchored_lines(path: Path) -> Iterator[tuple[int, int, str]]:
    """(line number, seq, hash) of each well-formed line of the anchor file."""
    with path.open(encoding="ascii", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                yield number, int(parts[0]), parts[1]


def _last_anchored(fd: int) -> int:
    """The seq of the last complete line of the open anchor file (0 if none)."""
    size = os.fstat(fd).st_size
    tail = os.pread(fd, min(size, 4096), max(0, size - 4096)).decode("ascii", "replace")
    for line in reversed(tail.split("\n")[1 if size > 4096 else 0:]):
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            return int(parts[0])
    return 0


def anchor(db: sqlite3.Connection, path: Path | None = None) -> int:
    """Append a ``seq hash`` line to the anchor file for every committed entry after the last
    one it holds (created with mode 0600, opened O_APPEND, locked with flock while written,
    fsynced); return how many lines were written.

    Catches up after a crash between a commit and its anchoring. `path` defaults to
    `anchor_path(db)`; nothing is written for an in-memory database. Raises `OSError`.
    """
    path = path or anchor_path(db)
    if path is None:
        return 0
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        rows = db.execute("SELECT seq, hash FROM audit WHERE seq > ? ORDER BY seq", (_last_anchored(fd),)).fetchall()
        if rows:
            os.write(fd, "".join(f"{seq} {digest}\n" for seq, digest in rows).encode("ascii"))
            os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock
    return len(rows)


def verify(db: sqlite3.Connection, head: str | None = None, *, anchor_file: Path | None = None) -> AuditBreak | None:
    """Check the chain; None when it holds, else the first `AuditBreak`.

    Every entry's hash must match its contents, its `prev_hash` the entry before it, and
    `seq` must run 1, 2, 3… without a gap. `head`, if given (from `reportal audit head`, a
    backup or the anchor file), must be the hash of an entry of the chain: entries may have
    been appended since, but none before it changed and none was cut off. `anchor_file`, if
    given, must agree line by line (each `seq hash` it holds is in the chain), and must exist
    and hold at least one entry when the chain has any (a file removed or emptied along with
    a rewrite would otherwise let the rewrite pass). It may lag behind the chain (an anchor
    that could not be written is a warning at commit time).
    """
    prev, expected, by_hash, by_seq = GENESIS, 1, {}, {}
    for row in db.execute(f"SELECT {_FIELDS} FROM audit ORDER BY seq"):
        seq, at, actor, kind, action, target, detail, prev_hash, digest = row
        if seq != expected:
            return AuditBreak(expected, f"is missing (the next entry is {seq})")
        if prev_hash != prev:
            return AuditBreak(seq, "prev_hash does not match the hash of the entry before it")
        if _hash(seq, at, actor, kind, action, target, detail, prev_hash) != digest:
            return AuditBreak(seq, "its contents do not match its hash (changed after it was written)")
        prev, expected = digest, expected + 1
        by_hash[digest], by_seq[seq] = seq, digest
    last = expected - 1
    if head is not None and head != GENESIS and head.strip().lower() not in by_hash:
        return AuditBreak(0, f"the head {head[:64]} is not in the chain (entries cut off or rewritten; "
                             f"the chain has {last} entries)")
    if anchor_file is not None and last and not anchor_file.is_file():
        # whoever can rewrite the chain could also remove the file that would catch it
        return AuditBreak(0, f"the anchor file {anchor_file} is missing but the chain has {last} entries: "
                             "a rewritten chain could not be told apart")
    if anchor_file is not None and anchor_file.is_file():
        lines = 0
        for number, seq, digest in anchored_lines(anchor_file):
            lines += 1
            if seq not in by_seq:
                return AuditBreak(seq, f"is in {anchor_file.name} (line {number}) but not in the database "
                                       f"(the chain has {last} entries): cut off")
            if by_seq[seq] != digest:
                return AuditBreak(seq, f"its hash differs from {anchor_file.name} line {number}: rewritten")
        if last and not lines:
            return AuditBreak(0, f"the anchor file {anchor_file} holds no entry but the chain has {last}: "
                                 "a rewritten chain could not be told apart")
    return None
