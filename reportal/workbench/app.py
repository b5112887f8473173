"""The workbench web application: `create_app(settings, store_factory) -> Flask`.

One blueprint per area (`auth`, `queue`, `reports`, `audit`, `stats`), and the security rules
in this one place, so no view can forget them:

- **Deny by default** (`_gate`, the first `before_request`): every request but `/login` and
  static files needs a live session of an enabled account whose `session_epoch` is the one
  it logged in with; anything else is sent to the login page (SecureDrop's journalist app).
- **CSRF** on every POST by Flask-WTF's `CSRFProtect`, never per view; a missing or bad token is
  the 400 page. Flask-WTF's Referer check for HTTPS is off because every page is sent with
  `Referrer-Policy: no-referrer` (browsers then send no Referer); in its place a request that
  the browser marks `Sec-Fetch-Site: cross-site` is refused (403), and the cookie is
  `SameSite=Strict`.
- **Headers** on every answer: a CSP with no inline script (`script-src 'self'`: one small
  file, for the copy buttons), `Cache-Control: no-store`, `Referrer-Policy: no-referrer`,
  `frame-ancestors 'none'`, nosniff; HSTS when served over HTTPS.
- **Errors** 400/403/404/405/413/500 are pages from templates, never a traceback.
- **Reporter text** is shown through the `shown` filter (`reportal.inbox.export.escape_text`,
  as the CLI views show it) and Jinja's autoescape; no template marks anything safe.
"""
from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from secrets import token_bytes
from typing import Any, Callable

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from jinja2 import StrictUndefined
from werkzeug.exceptions import HTTPException

from reportal.inbox.export import escape_text
from reportal.workbench.labels import label
from reportal.workbench.sessions import SessionStore, WorkbenchSession

__all__ = ["CONTENT_SECURITY_POLICY", "WorkbenchSettings", "accounts", "create_app", "record", "store"]

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), clipboard-write=(self)",
}
_OPEN_ENDPOINTS = frozenset({"static", "auth.login"})


@dataclass(frozen=True)
class WorkbenchSettings:
    """What the workbench needs besides the inbox database.

    `idle`: how long an unused session lives (30 minutes). `secret_key`: signs CSRF tokens
    (random per process by default: a restart invalidates open forms, never sessions).
    `page_size`: rows per queue, follow-up and audit page. `hasher`: the argon2-cffi
    `PasswordHasher` for `Accounts` (None: its default; tests pass a cheap one)."""

    idle: timedelta = timedelta(minutes=30)
    secret_key: bytes = field(default_factory=lambda: token_bytes(32), repr=False)
    page_size: int = 50
    hasher: Any = None
    root: Path = Path(".")  # holds sites/ (retention periods for the supervisors' purge)


class _Connections(threading.local):
    """Each server thread's own `Store` and `Accounts`, opened on its first request and kept
    (opening a store checks the schema; `Accounts` prepares a dummy hash for unknown names)."""

    store: Any = None
    accounts: Any = None


def store() -> Any:
    """This thread's `reportal.inbox.store.Store` (opened on first use, then kept)."""
    local = current_app.extensions["reportal.workbench.connections"]
    if local.store is None:
        local.store = current_app.extensions["reportal.workbench.store_factory"]()
    return local.store


def accounts() -> Any:
    """This thread's `reportal.workbench.accounts.Accounts` over `store().db`."""
    from reportal.workbench.accounts import Accounts

    local = current_app.extensions["reportal.workbench.connections"]
    if local.accounts is None:
        local.accounts = Accounts(store().db, current_app.extensions["reportal.workbench"].hasher)
    return local.accounts


def record(action: str, target: str | None = None, detail: dict[str, Any] | None = None) -> str:
    """Append `action` (a view: `view-report`, `list`, `view-audit`, `logout`) to the audit log
    as the logged-in analyst, in its own transaction, anchored; return the entry's hash.
    Changes are audited by the store and the accounts, inside their transactions. `detail`
    holds ids, indexes and vocabulary values only, never reporter text."""
    return store().record(g.analyst.name, action, target, detail)


def _connection() -> sqlite3.Connection:
    return store().db


def create_app(settings: WorkbenchSettings, store_factory: Callable[[], Any]) -> Flask:
    """The workbench as a WSGI application over the `Store` that `store_factory()` opens (once
    per server thread; the store's constructor applies pending schema migrations)."""
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        WTF_CSRF_SSL_STRICT=False,  # no Referer is ever sent; see the module docstring
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (idle limit)
        MAX_CONTENT_LENGTH=256 * 1024,
        MAX_FORM_MEMORY_SIZE=128 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.extensions["reportal.workbench"] = settings
    app.extensions["reportal.workbench.store_factory"] = store_factory
    app.extensions["reportal.workbench.connections"] = _Connections()
    app.jinja_env.undefined = StrictUndefined
    app.jinja_env.filters["shown"] = escape_text
    app.jinja_env.globals["label"] = label
    app.session_interface = SessionStore(_connection, settings.idle)

    app.before_request(_gate)
    CSRFProtect(app)  # registered after the gate: no session means the login page, not a CSRF error
    app.after_request(_headers)
    app.teardown_appcontext(_end_transaction)

    from reportal.workbench import audit, auth, queue, reports, stats

    for module in (auth, queue, reports, audit, stats):
        app.register_blueprint(module.blueprint)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
    app.context_processor(lambda: {"analyst": g.get("analyst")})
    return app


def _gate() -> Any:
    """Deny by default: the current analyst in `g.analyst`, or the login page."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return _error_page(403, "This page can only be used from the workbench itself.")
    if request.endpoint in _OPEN_ENDPOINTS:
        return None
    current = session
    assert isinstance(current, WorkbenchSession)
    account = accounts().get(current.analyst) if current.analyst else None
    if account is None or account.disabled or account.session_epoch != current.epoch:
        if current.analyst:
            current.drop()
        if current.expired or current.renew:
            current["ended"] = True  # the login page says why
        if request.method == "GET" and request.endpoint is not None:
            current["next"] = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.login"))
    g.analyst = account
    return None


def _headers(response: Any) -> Any:
    response.headers.update(_HEADERS)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    return response


def _end_transaction(exc: BaseException | None) -> None:
    """Roll back whatever a failed request left open, so the thread's connection starts clean."""
    local = current_app.extensions["reportal.workbench.connections"]
    if local.store is not None and local.store.db.in_transaction:
        local.store.db.execute("ROLLBACK")


def _error_page(status: int, message: str | None = None) -> tuple[str, int]:
    return render_template("error.html", status=status, message=message), status


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    return _error_page(400, "This form had expired or did not come from the workbench. "
                            "Go back, reload the page and send it again.")


def _http_error(exc: HTTPException) -> Any:
    if exc.code is None or exc.code < 400:
        return exc
    return _error_page(exc.code, exc.description if exc.code in (400, 413) else None)


def _server_error(exc: Exception) -> tuple[str, int]:
    """The 500 page. The log line names the exception's type, the view and where it was raised
    (file:line of each frame), never its message, which could quote a value someone typed."""
    import logging
    import traceback

    frames = " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(traceback.extract_tb(exc.__traceback__)))
    logging.getLogger("reportal.workbench").error("unexpected %s in %s %s at %s", type(exc).__name__,
                                                 request.method, request.endpoint, frames)
    return _error_page(500)
