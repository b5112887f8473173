"""Analysts' accounts: Argon2id passwords, a mandatory TOTP second factor, roles, lockout.

Rules (issue 14; docs/DESIGN.md "Hotline side"):
- passwords hashed with argon2-cffi's `PasswordHasher` (Argon2id, RFC 9106 parameters of the
  library's default profile), rehashed on login when the parameters change; at least
  `MIN_PASSWORD` characters;
- TOTP per RFC 6238 (pyotp; 30-second steps, 6 digits), the step before and after also
  accepted (clock drift), and each step at most once: a code (or any earlier one) that
  already opened a session is refused (`last_totp_step`);
- `MAX_FAILURES` failed logins in a row lock the account for `LOCK_MINUTES`; while locked
  every attempt is refused without checking the password; a success resets the count;
- disabling, resetting the TOTP secret or changing the password increments `session_epoch`;
  the workbench ends every session whose epoch is older at its next request.
Every change and every login (success or refusal) is written to the audit log in the same
transaction, then anchored (reportal.audit).
"""
from __future__ import annotations

import hmac
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from reportal import audit
from reportal.inbox.vocabulary import check_role

__all__ = [
    "ISSUER", "LOCK_MINUTES", "MAX_FAILURES", "MIN_PASSWORD", "AccountError", "Accounts", "Analyst", "LoginRefused",
    "NAME_PATTERN",
]

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # bounds the hashing work a hostile login form can ask for
ISSUER = "reportal"
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
_TIME = "%Y-%m-%dT%H:%M:%SZ"
_COLUMNS = "name, role, disabled, created_at, session_epoch, failed_logins, locked_until"


class AccountError(ValueError):
    """A refused account change (unknown or taken name, bad role, weak password); the
    message says which and why."""


class LoginRefused(Exception):
    """A refused login. `reason`: ``bad-credentials``, ``locked`` or ``disabled`` (the web
    page shows one generic message whatever the reason)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Analyst:
    """One account as the workbench needs it (no secrets)."""

    name: str
    role: str
    disabled: bool
    created_at: str
    session_epoch: int
    failed_logins: int = 0
    locked_until: str | None = None

    @property
    def is_supervisor(self) -> bool:
        """Supervisors also read the audit log, exact statistics and exports."""
        return self.role == "supervisor"


def _moment(now: datetime | float | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if isinstance(now, (int, float)):
        return datetime.fromtimestamp(now, timezone.utc)
    return now.astimezone(timezone.utc)


def _text(moment: datetime) -> str:
    return moment.strftime(_TIME)


_DUMMY_HASHES: dict[tuple[Any, ...], str] = {}
_DUMMY_LOCK = threading.Lock()


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of no one's password made with `hasher`'s parameters, computed once per process
    and parameter set: verifying against it costs what verifying a real analyst's hash costs,
    so a refusal for an unknown (or locked) name takes as long as any other."""
    key = (hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len)
    with _DUMMY_LOCK:
        if key not in _DUMMY_HASHES:
            _DUMMY_HASHES[key] = hasher.hash("not a password of anyone")
        return _DUMMY_HASHES[key]


class Accounts:
    """The `analysts` table of an inbox database (`db`: a migrated connection in autocommit
    mode, e.g. `Store.db`). `hasher` defaults to argon2-cffi's RFC 9106 low-memory profile;
    tests may pass cheaper parameters."""

    def __init__(self, db: sqlite3.Connection, hasher: PasswordHasher | None = None):
        self.db = db
        self.hasher = hasher or PasswordHasher()

    @property
    def _dummy(self) -> str:
        """Equal work for unknown names (made on the first refusal, then shared: `_dummy_hash`)."""
        return _dummy_hash(self.hasher)

    # -- reading ---------------------------------------------------------------------------

    def get(self, name: str) -> Analyst | None:
        """The account `name`, or None (also for text that cannot be a name)."""
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            return None
        row = self.db.execute(f"SELECT {_COLUMNS} FROM analysts WHERE name = ?", (name,)).fetchone()
        return _analyst(row) if row else None

    def list(self) -> list[Analyst]:
        """Every account, by name."""
        return [_analyst(r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM analysts ORDER BY name")]

    # -- changes (audited) -----------------------------------------------------------------

    def add(self, name: str, role: str, password: str, *, actor: str | None = None,
            actor_kind: str = "os-user") -> str:
        """Create an account; return its TOTP ``otpauth://`` URI (to enrol an authenticator).

        Raises `AccountError` for a name not matching `NAME_PATTERN`, a name already taken,
        an unknown role or a password shorter than `MIN_PASSWORD` characters. Audited as
        `actor` (default: the OS user)."""
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise AccountError("a name is 1-32 characters: lowercase letters, digits, '.', '_' or '-', "
                               "starting with a letter or digit")
        try:
            check_role(role)
        except ValueError as exc:
            raise AccountError(str(exc)) from None
        self._check_password(password)
        secret = pyotp.random_base32()
        password_hash = self.hasher.hash(password)
        with self._transaction():
            if self.db.execute("SELECT 1 FROM analysts WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"an analyst named {name} exists")
            self.db.execute("INSERT INTO analysts (name, role, password_hash, totp_secret, created_at)"
                            " VALUES (?,?,?,?,?)", (name, role, password_hash, secret, _text(_moment(None))))
            audit.append(self.db, actor or audit.os_user(), "analyst-add", name, {"role": role}, actor_kind)
        return self._uri(name, secret)

    def disable(self, name: str, *, actor: str | None = None, actor_kind: str = "os-user") -> None:
        """Disable `name` (refused at login; existing sessions end). Raises `AccountError`."""
        with self._transaction():
            self._require(name)
            self.db.execute("UPDATE analysts SET disabled = 1, session_epoch = session_epoch + 1 WHERE name = ?",
                            (name,))
            audit.append(self.db, actor or audit.os_user(), "analyst-disable", name, None, actor_kind)

    def reset_otp(self, name: str, *, actor: str | None = None, actor_kind: str = "os-user") -> str:
        """Give `name` a new TOTP secret (ending its sessions and clearing a lockout); return the
        new ``otpauth://`` URI. Raises `AccountError` for an unknown name."""
        secret = pyotp.random_base32()
        with self._transaction():
            self._require(name)
            self.db.execute("UPDATE analysts SET totp_secret = ?, last_totp_step = 0, failed_logins = 0,"
                            " locked_until = NULL, session_epoch = session_epoch + 1 WHERE name = ?", (secret, name))
            audit.append(self.db, actor or audit.os_user(), "analyst-reset-otp", name, None, actor_kind)
        return self._uri(name, secret)

    def change_password(self, name: str, old: str, new: str) -> None:
        """Replace `name`'s password after checking the old one (ending every session of the
        account, this one included). Raises `LoginRefused("bad-credentials")` for a wrong old
        password (counted as a failed login), `AccountError` for a weak new one. Audited as
        `name`."""
        self._check_password(new)
        row = self.db.execute("SELECT password_hash FROM analysts WHERE name = ? AND disabled = 0",
                              (name,)).fetchone()
        if row is None or not self._verify(row[0], old):
            if row is not None:
                self._fail(name, "bad-password", _moment(None))
            raise LoginRefused("bad-credentials")
        password_hash = self.hasher.hash(new)
        with self._transaction():
            self.db.execute("UPDATE analysts SET password_hash = ?, session_epoch = session_epoch + 1 WHERE name = ?",
                            (password_hash, name))
            audit.append(self.db, name, "password-change", name, None, "analyst")

    def authenticate(self, name: str, password: str, otp: str, *, now: datetime | float | None = None) -> Analyst:
        """The account, if `password` and the TOTP code `otp` are right and it may log in;
        else raises `LoginRefused` (``bad-credentials``, ``locked`` or ``disabled``).

        `now` (aware datetime or Unix seconds; default the clock) decides the TOTP step and the
        lockout. Audited as ``login`` or ``login-failed`` (detail: the precise reason; an
        unknown name is recorded as ``?``, never the text typed)."""
        moment = _moment(now)
        row = self.db.execute("SELECT password_hash, totp_secret, last_totp_step, locked_until, disabled"
                              " FROM analysts WHERE name = ?", (name,)).fetchone() \
            if isinstance(name, str) and NAME_PATTERN.fullmatch(name) else None
        if row is None:
            self._verify(self._dummy, password)
            self._record("?", "login-failed", None, {"reason": "unknown-name"}, moment)
            raise LoginRefused("bad-credentials")
        password_hash, secret, last_step, locked_until, disabled = row
        if locked_until and locked_until > _text(moment):
            self._verify(self._dummy, password)  # the same work as any refusal: a fast answer would say the name exists
            self._record(name, "login-failed", name, {"reason": "locked"}, moment)
            raise LoginRefused("locked")
        if not self._verify(password_hash, password):
            self._fail(name, "bad-password", moment)
            raise LoginRefused("bad-credentials")
        if disabled:
            self._record(name, "login-failed", name, {"reason": "disabled"}, moment)
            raise LoginRefused("disabled")
        step = _matching_step(secret, otp, moment)
        if step is None or step <= last_step:
            self._fail(name, "bad-otp" if step is None else "reused-otp", moment)
            raise LoginRefused("bad-credentials")
        rehash = self.hasher.check_needs_rehash(password_hash)
        new_hash = self.hasher.hash(password) if rehash else password_hash
        with self._transaction():
            # the step is re-checked under the write lock: two logins racing with one code
            updated = self.db.execute(
                "UPDATE analysts SET last_totp_step = ?, failed_logins = 0, locked_until = NULL, password_hash = ?"
                " WHERE name = ? AND last_totp_step < ?", (step, new_hash, name, step)).rowcount
            if updated:
                audit.append(self.db, name, "login", name, None, "analyst", at=_text(moment))
        if not updated:
            self._fail(name, "reused-otp", moment)
            raise LoginRefused("bad-credentials")
        account = self.get(name)
        assert account is not None
        return account

    # -- helpers -----------------------------------------------------------------------------

    def _check_password(self, password: str) -> None:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD:
            raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise AccountError(f"a password has at most {MAX_PASSWORD} characters")
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            raise AccountError("a password must be valid Unicode text") from None

    def _verify(self, password_hash: str, password: str) -> bool:
        if not isinstance(password, str) or len(password) > MAX_PASSWORD:
            return False
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError, UnicodeEncodeError):
            return False

    def _require(self, name: str) -> None:
        if self.get(name) is None:
            raise AccountError(f"no analyst named {name!r}" if not NAME_PATTERN.fullmatch(str(name))
                               else f"no analyst named {name}")

    def _fail(self, name: str, reason: str, moment: datetime) -> None:
        """Count a failed login; the `MAX_FAILURES`th in a row locks the account."""
        with self._transaction():
            failures = self.db.execute("UPDATE analysts SET failed_logins = failed_logins + 1 WHERE name = ?"
                                       " RETURNING failed_logins", (name,)).fetchone()[0]
            detail: dict[str, Any] = {"reason": reason}
            if failures >= MAX_FAILURES:
                until = _text(moment + timedelta(minutes=LOCK_MINUTES))
                self.db.execute("UPDATE analysts SET failed_logins = 0, locked_until = ? WHERE name = ?", (until, name))
                detail["locked_until"] = until
            audit.append(self.db, name, "login-failed", name, detail, "analyst", at=_text(moment))

    def _record(self, actor: str, action: str, target: str | None, detail: dict[str, Any], moment: datetime) -> None:
        with self._transaction():
            audit.append(self.db, actor, action, target, detail, "analyst" if actor != "?" else "system",
                         at=_text(moment))

    def _transaction(self) -> Any:
        return audit.transaction(self.db)

    @staticmethod
    def _uri(name: str, secret: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=ISSUER)


def _matching_step(secret: str, otp: object, moment: datetime) -> int | None:
    """The 30-second step (within one of `moment`'s) whose code is `otp`, or None."""
    if not isinstance(otp, str):
        return None
    code = otp.strip().replace(" ", "")
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(moment.timestamp()) // totp.interval
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * totp.interval), code):
            return step
    return None


def _analyst(row: tuple) -> Analyst:
    return Analyst(name=row[0], role=row[1], disabled=bool(row[2]), created_at=row[3], session_epoch=row[4],
                   failed_logins=row[5], locked_until=row[6])

