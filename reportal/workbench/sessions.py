"""Server-side sessions for the workbench, kept in the inbox database's `sessions` table.

The browser holds only a random session id (32 bytes, URL-safe base64) in a cookie that is
`HttpOnly`, `SameSite=Strict`, and `Secure` with the `__Host-` prefix when the request came over
HTTPS. The table holds the SHA-256 of that id, never the id itself, so a copy of the database
(a backup) does not hand out live sessions. Row: `id` (hash), `analyst` (None before login),
`epoch` (the account's `session_epoch` at login), `created_at`, `last_seen`, `data` (JSON: the
CSRF secret Flask-WTF keeps, flashed messages, the page asked for before login).

A session ends when it has been idle longer than the idle limit (default 30 minutes; `last_seen`
is written at most once a minute, so the limit holds to within that minute), on logout, and
(checked by the app on every request) as soon as the account is disabled or its epoch moves.
Logging in always starts a fresh id (no session fixation). Rows past the idle limit are deleted
whenever a new session is written, so the table stays small.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

__all__ = ["SessionStore", "WorkbenchSession"]

_TIME = "%Y-%m-%dT%H:%M:%SZ"
_TOUCH_EVERY = timedelta(minutes=1)


def _stamp(moment: datetime) -> str:
    return moment.strftime(_TIME)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode("ascii", "replace")).hexdigest()


class WorkbenchSession(CallbackDict, SessionMixin):
    """One browser's session: a dict of small values plus who is logged in.

    `analyst` and `epoch` are set by `begin`; `end` removes the session at the end of the
    request; `expired` is True when the browser's session had passed the idle limit."""

    def __init__(self, data: dict[str, Any] | None = None, *, sid: str | None = None,
                 analyst: str | None = None, epoch: int | None = None, last_seen: str | None = None,
                 expired: bool = False):
        def on_update(this: WorkbenchSession) -> None:
            this.modified = True

        super().__init__(data or {}, on_update)
        self.sid, self.analyst, self.epoch, self.last_seen = sid, analyst, epoch, last_seen
        self.expired = expired
        self.modified = False
        self.renew = False
        self.ended = False

    def begin(self, analyst: str, epoch: int) -> None:
        """Log `analyst` in: a new session id, the old session's data dropped."""
        self.clear()
        self.analyst, self.epoch, self.renew, self.ended = analyst, epoch, True, False

    def drop(self) -> None:
        """Forget who was logged in (the account was disabled or its epoch moved): a new id,
        nobody logged in, data dropped."""
        self.clear()
        self.analyst, self.epoch, self.renew = None, None, True

    def end(self) -> None:
        """Log out: the row is deleted and the cookie removed when the response is sent; what is
        put in the session after `end` (a flashed message) is kept under a new id, logged out."""
        self.clear()
        self.analyst, self.epoch, self.ended = None, None, True


class SessionStore(SessionInterface):
    """Flask's session interface over the `sessions` table.

    `connect()` returns the request's SQLite connection (autocommit mode, as `Store` opens it);
    `idle` is how long a session may go unused. `now()` gives the current UTC time (tests
    move it)."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], idle: timedelta,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.connect, self.idle, self.now = connect, idle, now

    @staticmethod
    def cookie_name(request: Request) -> str:
        """`__Host-workbench` over HTTPS (browsers then insist on Secure, Path=/, no Domain),
        else `workbench`."""
        return "__Host-workbench" if request.is_secure else "workbench"

    def open_session(self, app: Flask, request: Request) -> WorkbenchSession:
        sid = request.cookies.get(self.cookie_name(request))
        if not sid or len(sid) > 100:
            return WorkbenchSession()
        db = self.connect()
        row = db.execute("SELECT analyst, epoch, last_seen, data FROM sessions WHERE id = ?",
                         (_hash(sid),)).fetchone()
        if row is None:
            return WorkbenchSession(expired=True)
        analyst, epoch, last_seen, data = row
        if last_seen < _stamp(self.now() - self.idle):
            db.execute("DELETE FROM sessions WHERE id = ?", (_hash(sid),))
            return WorkbenchSession(expired=analyst is not None)
        return WorkbenchSession(json.loads(data), sid=sid, analyst=analyst, epoch=epoch, last_seen=last_seen)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, WorkbenchSession)
        db = self.connect()
        name = self.cookie_name_for_response()
        now = self.now()
        if session.ended or (session.renew and session.sid):
            if session.sid:
                db.execute("DELETE FROM sessions WHERE id = ?", (_hash(session.sid),))
            session.sid = None
            if session.ended and not session:
                response.delete_cookie(name, path="/", secure=name.startswith("__Host-"),
                                       httponly=True, samesite="Strict")
                return
            # ended but holding what was set after `end` (the "You are logged out." message):
            # it goes on as a new, anonymous session under a new id (below)
        if session.sid is None:
            if not session.renew and not session:
                return  # nothing to keep: no row, no cookie
            session.sid = secrets.token_urlsafe(32)
            db.execute("DELETE FROM sessions WHERE last_seen < ?", (_stamp(now - self.idle),))
            db.execute("INSERT INTO sessions (id, analyst, epoch, created_at, last_seen, data) VALUES (?,?,?,?,?,?)",
                       (_hash(session.sid), session.analyst, session.epoch, _stamp(now), _stamp(now),
                        json.dumps(dict(session))))
            response.set_cookie(name, session.sid, path="/", secure=name.startswith("__Host-"),
                                httponly=True, samesite="Strict")
            response.vary.add("Cookie")
            return
        if session.modified:
            db.execute("UPDATE sessions SET data = ?, last_seen = ? WHERE id = ?",
                       (json.dumps(dict(session)), _stamp(now), _hash(session.sid)))
        elif session.last_seen is None or session.last_seen < _stamp(now - _TOUCH_EVERY):
            db.execute("UPDATE sessions SET last_seen = ? WHERE id = ?", (_stamp(now), _hash(session.sid)))

    def cookie_name_for_response(self) -> str:
        """The cookie name for the request being answered."""
        from flask import request

        return self.cookie_name(request)
