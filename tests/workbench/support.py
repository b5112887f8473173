"""Helpers shared by the workbench tests (unit and browser): a seeded inbox database with two
accounts, a cheap password hasher, and a logged-in test client."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["HOSTILE", "Seeded", "audit_rows", "cheap_hasher", "csrf_of", "login", "seed", "totp_code"]

PASSWORD = {"ana": "correct horse battery", "sam": "staple orbit lantern"}

# What a hostile reporter could type: markup, script, a bidi override, a terminal escape.
HOSTILE = {
    "url": 'https://evil.example/"><img src=x onerror=alert(1)>\u202egnp.exe',
    "notes": "<script>alert('x')</script>\n\x1b[31mred\x1b[0m and \u202eright-to-left\u202c <b>bold</b>",
    "referrer": "javascript:alert(1)//<a href=x>",
    "email": "<svg onload=alert(1)>@example.org",
}


@dataclass
class Seeded:
    """What `seed` stored: the database path, report ids by name, TOTP secrets by analyst."""

    db: Path
    reports: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=lambda: dict(PASSWORD))


def cheap_hasher() -> Any:
    """An Argon2id hasher with the smallest parameters (tests only: the real one costs ~50 ms)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _report(report_id: str, received_at: str, urls: list[str], **fields: Any) -> dict[str, Any]:
    return {"report_id": report_id, "received_at": received_at, "portal": "bz", "lang": "es",
            "urls": [{"typed": u.removeprefix("https://"), "normalized": u} for u in urls],
            "kind": "image", "notes": "Second album; a login is needed.", "referrer": None, "email": None, **fields}


def seed(db: Path) -> Seeded:
    """An inbox at `db` with three reports (`two`: two URLs; `dup`: a duplicate of `two`;
    `hostile`: every field hostile) and two accounts: `ana` (analyst) and `sam` (supervisor)."""
    import pyotp

    from reportal.inbox.store import Store
    from reportal.workbench.accounts import Accounts

    seeded = Seeded(db)
    seeded.reports = {"two": "a1b2c3d4e5f60718293a4b5c6d7e8f90", "dup": "b1b2c3d4e5f60718293a4b5c6d7e8f91",
                      "hostile": "c1b2c3d4e5f60718293a4b5c6d7e8f92"}
    two = ["https://two.example/gallery/1", "https://other.example/album?id=7"]
    with Store(db) as store:
        store.add_many([
            _report(seeded.reports["two"], "2026-11-30T09:00:00Z", two),
            _report(seeded.reports["dup"], "2026-11-30T10:00:00Z", two),
            {**_report(seeded.reports["hostile"], "2026-11-30T11:00:00Z", [HOSTILE["url"]]),
             **{k: v for k, v in HOSTILE.items() if k != "url"},
             "urls": [{"typed": HOSTILE["url"], "normalized": HOSTILE["url"]}]},
        ])
        accounts = Accounts(store.db, cheap_hasher())
        for name, role in (("ana", "analyst"), ("sam", "supervisor")):
            uri = accounts.add(name, role, PASSWORD[name])
            seeded.secrets[name] = pyotp.parse_uri(uri).secret
    return seeded


def totp_code(secret: str, steps_ahead: int = 0) -> str:
    """The TOTP code of `secret` for the current 30-second step plus `steps_ahead` (−1…1 are accepted)."""
    import time

    import pyotp

    totp = pyotp.TOTP(secret)
    return totp.at(int(time.time()) + 30 * steps_ahead)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in `html`."""
    match = _CSRF.search(html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def login(client: Any, seeded: Seeded, name: str, code: str | None = None, password: str | None = None) -> Any:
    """GET /login then POST it for `name` (its password and a fresh code unless given); the POST's response."""
    page = client.get("/login")
    return client.post("/login", data={
        "username": name, "password": password if password is not None else seeded.passwords[name],
        "otp": code if code is not None else totp_code(seeded.secrets[name]),
        "csrf_token": csrf_of(page.get_data(as_text=True))})


def audit_rows(seeded: Seeded) -> list[tuple]:
    """Every audit entry as (actor, action, target, detail), oldest first."""
    import sqlite3

    db = sqlite3.connect(seeded.db)
    try:
        return db.execute("SELECT actor, action, target, detail FROM audit ORDER BY seq").fetchall()
    finally:
        db.close()
