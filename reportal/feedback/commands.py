"""`reportal inbox notify` and `reportal inbox purge` (registered by `reportal.inbox.commands`).

Output names mails by kind and short reference and gives counts; never an address, a URL
or anything else a reporter typed.
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_inbox_commands"]

DEFAULT_DB = "var/inbox.sqlite"


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _load_portals(root: Path) -> Any:
    """The portal configs (LoadedConfig), or None after printing every problem."""
    from reportal.site.config import ConfigError, load_config

    try:
        return load_config(root / "sites")
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in {root / 'sites'}; nothing was done.", file=sys.stderr)
        return None


def _inbox_notify(args: argparse.Namespace) -> int:
    import smtplib

    from reportal.feedback.notify import SettingsError, SmtpSettings, notify
    from reportal.feedback.outbox import mail_key
    from reportal.inbox.store import Store

    password = None
    if args.password_env is not None:
        password = os.environ.get(args.password_env)
        if password is None:
            return _error(f"--password-env {args.password_env}: that environment variable is not set", 2)
    try:
        settings = SmtpSettings(args.smtp_host, args.smtp_port, args.sender, starttls=args.starttls,
                                username=args.username, password=password, timeout=args.timeout).check()
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    root = Path(args.root)
    loaded = _load_portals(root)
    if loaded is None:
        return 1
    portals = {p.code: p for p in loaded.portals}
    if not portals:
        return _error(f"no portal in {root / 'sites'}: the mails need the hotline's name and help lines")
    hotline = next(iter(portals.values())).hotline.name
    db_path = Path(args.db)
    if not db_path.exists():
        print("no inbox database yet: nothing to send", file=sys.stderr)
        return 0
    with Store(db_path) as store:
        try:
            result = notify(store.db, settings, key=mail_key(db_path), portals=portals, hotline=hotline,
                            translations_dir=root / "translations")
        except (OSError, smtplib.SMTPException) as exc:
            return _error(f"cannot reach the mail server {args.smtp_host}:{args.smtp_port} "
                          f"({type(exc).__name__}); every mail stays in the outbox")
        except sqlite3.Error as exc:
            return _error(f"the inbox database failed ({type(exc).__name__}: {exc})")
    for line in result.sent:
        print(f"sent {line}")
    for line in result.failed:
        print(f"failed {line}; kept for the next run")
    for line in result.skipped:
        print(f"skipped {line}")
    for line in result.dropped:
        print(f"dropped {line}")
    print(result.summary(), file=sys.stderr)
    return 1 if result.failed else 0


def _inbox_purge(args: argparse.Namespace) -> int:
    from reportal import audit
    from reportal.feedback.retention import purge
    from reportal.inbox.store import Store

    root = Path(args.root)
    loaded = _load_portals(root)
    if loaded is None:
        return 1
    periods = {p.code: p.retention for p in loaded.portals}
    db_path = Path(args.db)
    if not db_path.exists():
        print("no inbox database yet: nothing to purge", file=sys.stderr)
        return 0
    with Store(db_path) as store:
        try:
            result = purge(store.db, periods, loaded.retention, actor=audit.os_user())
        except sqlite3.Error as exc:
            return _error(f"the inbox database failed ({type(exc).__name__}: {exc}); nothing was purged")
        audit.anchor(store.db)
    print(f"purged: {result.emails} email address(es), {result.reports} report(s); statistics kept")
    return 0


def add_inbox_commands(inbox: Any) -> None:
    """Register `notify` and `purge` on the `inbox` subparsers action."""
    p = inbox.add_parser("notify", help="send the feedback mails the outbox holds (SMTP)")
    p.add_argument("--smtp-host", required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--from", dest="sender", required=True, metavar="ADDR", help="the From address")
    p.add_argument("--starttls", action="store_true", help="upgrade the connection with STARTTLS")
    p.add_argument("--username", default=None)
    p.add_argument("--password-env", default=None, metavar="VAR",
                   help="name of the environment variable holding the SMTP password")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_inbox_notify)
    p = inbox.add_parser("purge", help="apply the retention periods of sites/_defaults.yaml")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_inbox_purge)
