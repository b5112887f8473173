"""`reportal analysts {add,list,disable,reset-otp}` and `reportal audit {verify,head}`
(registered by `reportal.cli`).

Account changes are audited as the OS user running the command. A password is read from
standard input when it is not a terminal (or with `--password-stdin`: its first line), else
asked twice without echo; it is never an argument (arguments are visible to other users in
the process list). The TOTP enrolment URI goes to standard output, with a QR code when that
is a terminal; it is a secret: whoever has it can make codes.
"""
from __future__ import annotations

import argparse
import functools
import getpass
import sqlite3
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]

DEFAULT_DB = "var/inbox.sqlite"


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


class _Unavailable(Exception):
    """The database cannot be opened; the message says why."""


def _accounts(db: str) -> Any:
    from reportal.inbox.schema import SchemaTooNew
    from reportal.inbox.store import Store
    from reportal.workbench.accounts import Accounts

    try:
        store = Store(Path(db))
    except SchemaTooNew as exc:
        raise _Unavailable(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise _Unavailable(f"cannot open {db} read-write ({type(exc).__name__}: {exc}); run this as the user "
                           "that owns the inbox") from None
    return store, Accounts(store.db)


def _read_password(from_stdin: bool) -> str | None:
    """The new password: stdin's first line when asked or when stdin is not a terminal;
    else typed twice at a prompt. None when the two typed differ."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (12 characters or more): ")
    if getpass.getpass("Same password again: ") != first:
        return None
    return first


def _print_enrolment(name: str, uri: str) -> None:
    print(uri)
    if sys.stdout.isatty():
        import segno

        segno.make(uri, error="m").terminal(out=sys.stdout, compact=True)
    print(f"Enrol {name}'s authenticator app from the URI or QR code above (TOTP, 30 s, 6 digits). It is a "
          "secret: do not keep it, mail it or paste it anywhere.", file=sys.stderr)


def _add(args: argparse.Namespace) -> int:
    from reportal.workbench.accounts import AccountError

    password = _read_password(args.password_stdin)
    if password is None:
        return _error("the two passwords differ; nothing was changed")
    store, accounts = _accounts(args.db)
    try:
        uri = accounts.add(args.name, args.role, password)
    except AccountError as exc:
        return _error(str(exc))
    finally:
        store.close()
    _print_enrolment(args.name, uri)
    return 0


def _list(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        print("no analysts yet", file=sys.stderr)
        return 0
    store, accounts = _accounts(args.db)
    try:
        analysts = accounts.list()
    finally:
        store.close()
    if not analysts:
        print("no analysts yet", file=sys.stderr)
    for a in analysts:
        state = "disabled" if a.disabled else f"locked until {a.locked_until}" if a.locked_until else "active"
        print(f"{a.name:<20} {a.role:<11} {state:<32} since {a.created_at}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    from reportal.workbench.accounts import AccountError

    store, accounts = _accounts(args.db)
    try:
        accounts.disable(args.name)
    except AccountError as exc:
        return _error(str(exc))
    finally:
        store.close()
    print(f"{args.name} disabled; their sessions have ended", file=sys.stderr)
    return 0


def _reset_otp(args: argparse.Namespace) -> int:
    from reportal.workbench.accounts import AccountError

    store, accounts = _accounts(args.db)
    try:
        uri = accounts.reset_otp(args.name)
    except AccountError as exc:
        return _error(str(exc))
    finally:
        store.close()
    _print_enrolment(args.name, uri)
    print(f"{args.name}'s old codes no longer work and their sessions have ended", file=sys.stderr)
    return 0


def _open_readonly(db: str) -> sqlite3.Connection | None:
    """The database read-only (verifying must not change what it verifies), or None."""
    path = Path(db)
    if not path.exists():
        return None
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        raise _Unavailable(f"cannot read {db} ({type(exc).__name__}: {exc})") from None
    return con


def _has_audit(con: sqlite3.Connection) -> bool:
    return con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").fetchone() is not None


def _verify(args: argparse.Namespace) -> int:
    from reportal import audit

    con = _open_readonly(args.db)
    if con is None:
        return _error(f"no inbox database at {args.db}")
    try:
        if not _has_audit(con):
            print("the audit log is empty (this database predates it)")
            return 0 if args.head in (None, audit.GENESIS) else _error(f"the head {args.head} is not in the chain")
        anchor = Path(args.anchor) if args.anchor else Path(args.db).with_name(audit.ANCHOR_NAME)
        found = audit.verify(con, args.head, anchor_file=anchor)
        count = con.execute("SELECT count(*) FROM audit").fetchone()[0]
        last = audit.head(con)
    finally:
        con.close()
    if found is not None:
        print(f"audit log broken: {found}", file=sys.stderr)
        return 1
    checked = [f"{count} entries chained", f"head {last}"]
    if args.head:
        checked.append("ends at the given head" if args.head == last else "holds the given head")
    checked.append(f"agrees with {anchor}" if anchor.exists() else f"no anchor file at {anchor}")
    print("audit log holds: " + "; ".join(checked))
    return 0


def _head(args: argparse.Namespace) -> int:
    from reportal import audit

    con = _open_readonly(args.db)
    if con is None:
        return _error(f"no inbox database at {args.db}")
    try:
        print(audit.head(con) if _has_audit(con) else audit.GENESIS)
    finally:
        con.close()
    return 0


def _clear_errors(command: Any) -> Any:
    """`command`, with `_Unavailable` printed as one line and exit status 1."""
    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except _Unavailable as exc:
            return _error(str(exc))
    return run


def add_commands(sub: Any) -> None:
    """Register `analysts {add,list,disable,reset-otp}` and `audit {verify,head}` on the
    subparsers action `sub` of the `reportal` parser."""
    from reportal.inbox.vocabulary import ROLES

    analysts = sub.add_parser("analysts", help="the workbench's accounts").add_subparsers(
        dest="analysts_command", required=True)
    p = analysts.add_parser("add", help="create an account; prints its TOTP enrolment URI (and a QR on a terminal)")
    p.add_argument("name", help="1-32 characters: lowercase letters, digits, '.', '_', '-'")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input's first line (also when it is not a terminal)")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_clear_errors(_add))
    p = analysts.add_parser("list", help="every account: role, active/disabled/locked, created")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_clear_errors(_list))
    p = analysts.add_parser("disable", help="refuse the account's logins and end its sessions")
    p.add_argument("name")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_clear_errors(_disable))
    p = analysts.add_parser("reset-otp", help="new TOTP secret (prints the URI); ends sessions, clears a lockout")
    p.add_argument("name")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_clear_errors(_reset_otp))

    audit_cmd = sub.add_parser("audit", help="the tamper-evident audit log").add_subparsers(
        dest="audit_command", required=True)
    p = audit_cmd.add_parser("verify", help="check the hash chain (exit 1 naming the first broken entry)")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--head", default=None, metavar="HASH",
                   help="a head noted earlier (audit head, a backup): it must be in the chain")
    p.add_argument("--anchor", default=None, metavar="FILE",
                   help="the append-only anchor file (default: audit-head.log beside the database)")
    p.set_defaults(func=_clear_errors(_verify))
    p = audit_cmd.add_parser("head", help="print the hash of the last entry")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_clear_errors(_head))
