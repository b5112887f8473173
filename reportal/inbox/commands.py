"""The `reportal inbox …` subcommands (registered by `reportal.cli`).

Nothing here prints a report's content except the analysts' views, which escape it
(`reportal.inbox.export`); errors name files and counts, never secrets or report values.
The views (`list`, `show`, `export`) open the database read-write: it is migrated if it is
older, and each view is written to the audit log as the OS user before anything is shown.
`assess` is audited as the named analyst, with the OS user in the entry's detail.
"""
from __future__ import annotations

import argparse
import functools
import os
import re
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Callable

from reportal.keys import DEFAULT_IDENTITY

__all__ = ["DEFAULT_DB", "add_commands", "queue_region"]

DEFAULT_DB = "var/inbox.sqlite"
_SQS_HOST = re.compile(r"https://sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/")


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _load_identities(paths: list[str]) -> list:
    from reportal.envelope import load_identities

    identities = []
    for path in paths:
        if os.stat(path).st_mode & 0o077:
            print(f"warning: {path} is readable by other users; run: chmod 600 {path}", file=sys.stderr)
        identities += load_identities(Path(path))
    return identities


class _Progress:
    """A one-line status on a terminal (stderr), redrawn at most ten times a second."""

    def __init__(self, stream: IO[str]):
        self.stream, self.last = stream, 0.0

    def __call__(self, stats: Any, final: bool = False) -> None:
        now = time.monotonic()
        if final or now - self.last >= 0.1:
            self.last = now
            self.stream.write(f"\r\x1b[2Kreceived {stats.received}  stored {stats.stored}  already {stats.already}"
                              f"  could not open {stats.unopened}" + ("\n" if final else ""))
            self.stream.flush()


def queue_region(queue_url: str) -> str | None:
    """The region of an AWS queue URL (https://sqs.REGION.amazonaws.com/…), unless
    AWS_DEFAULT_REGION is set or the URL is an emulator's (then boto3's own choice: None)."""
    match = _SQS_HOST.match(queue_url)
    return None if os.environ.get("AWS_DEFAULT_REGION") or not match else match.group(1)


def _inbox_drain(args: argparse.Namespace) -> int:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    from reportal.envelope import EnvelopeError
    from reportal.inbox.drain import DrainStats, drain
    from reportal.inbox.store import Store

    queue_url = args.queue_url or os.environ.get("REPORTAL_QUEUE_URL")
    if not queue_url:
        return _error("give --queue-url or set REPORTAL_QUEUE_URL", 2)
    try:
        identities = _load_identities(args.identity or [DEFAULT_IDENTITY])
    except (EnvelopeError, OSError) as exc:
        return _error(f"cannot read the identity: {exc}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sqs = boto3.client("sqs", region_name=queue_region(queue_url), config=Config(max_pool_connections=2 * args.receivers))
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    stats = DrainStats()
    code = 0
    store = Store(Path(args.db), duplicate_window=timedelta(hours=args.duplicate_window))
    try:
        wait = args.wait if args.wait is not None else 1 if args.once else 20
        drain(sqs, queue_url, identities, store, once=args.once, wait_seconds=wait, stats=stats,
              should_stop=stop.is_set, on_progress=progress, receivers=args.receivers)
    except KeyboardInterrupt:
        code = 130
    except (BotoCoreError, ClientError) as exc:
        code = _error(f"the queue could not be reached ({type(exc).__name__}); nothing unstored was deleted")
    except sqlite3.Error as exc:
        code = _error(f"the inbox database failed ({type(exc).__name__}: {exc}); that batch was not "
                      "deleted and will be received again")
    finally:
        store.close()
    if progress:
        progress(stats, final=True)
    print(stats.summary())
    return code


class InboxUnavailable(Exception):
    """The inbox database cannot be opened read-write; the message says why and what to do."""


def _open_store(db: str) -> Any:
    """The store at `db` opened read-write (migrated, so an older file's views work, and each
    view can be audited), or None if there is no file yet (nothing to view, nothing written).
    Raises `InboxUnavailable`."""
    from reportal.inbox.schema import SchemaTooNew
    from reportal.inbox.store import Store

    if not Path(db).exists():
        return None
    try:
        return Store(Path(db))
    except SchemaTooNew as exc:
        raise InboxUnavailable(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise InboxUnavailable(f"cannot open {db} read-write ({type(exc).__name__}: {exc}); the views are "
                               "audited, so run them as the user that owns the inbox") from None


def _unavailable_is_an_error(view: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """`view`, with `InboxUnavailable` printed as one line and exit status 1."""
    @functools.wraps(view)
    def run(args: argparse.Namespace) -> int:
        try:
            return view(args)
        except InboxUnavailable as exc:
            return _error(str(exc))
    return run


def _audit_view(store: Any, action: str, target: str | None = None, detail: dict[str, Any] | None = None) -> None:
    """Record a CLI view in the audit log as the OS user, before anything is shown."""
    from reportal.audit import os_user

    store.record(os_user(), action, target, detail, actor_kind="os-user")


@_unavailable_is_an_error
def _inbox_list(args: argparse.Namespace) -> int:
    from reportal.inbox.export import format_line, json_text

    store = _open_store(args.db)
    try:
        if store:
            _audit_view(store, "list", None, {"format": "json" if args.json else "text"})
        reports = store.list() if store else []
    finally:
        if store:
            store.close()
    if args.json:
        print(json_text(reports, indent=2))
    elif not reports:
        print("no reports yet", file=sys.stderr)
    for report in [] if args.json else reports:
        print(format_line(report))
    return 0


@_unavailable_is_an_error
def _inbox_show(args: argparse.Namespace) -> int:
    from reportal.inbox.export import escape_text, format_report, json_text
    from reportal.inbox.store import AmbiguousId

    store = _open_store(args.db)
    try:
        report = store.get(args.id) if store else None
        conflicts = store.conflicts(report["report_id"]) if report else []
        if report is not None:
            _audit_view(store, "show", report["report_id"], {"format": "json" if args.json else "text"})
    except AmbiguousId as exc:
        return _error(f"{escape_text(args.id)} matches several reports: {', '.join(exc.matches)}")
    finally:
        if store:
            store.close()
    if report is None:
        return _error(f"no report {escape_text(args.id)}")
    if args.json:
        print(json_text({**report, "conflicts": conflicts} if conflicts else report, indent=2))
        return 0
    print(format_report(report))
    for number, conflict in enumerate(conflicts, 1):  # other content that reused this id (docs/keys.md)
        print(f"\nconflicting content {number} (another envelope with this id, stored {conflict['stored_at']}):")
        print(format_report({**conflict["report"], "duplicate_of": None}))
    return 0


@_unavailable_is_an_error
def _inbox_assess(args: argparse.Namespace) -> int:
    from reportal.audit import os_user
    from reportal.inbox.export import escape_text
    from reportal.inbox.store import AmbiguousId
    from reportal.workbench.accounts import Accounts

    store = _open_store(args.db)
    if store is None:
        return _error(f"no inbox database at {escape_text(args.db)}")
    try:
        analyst = Accounts(store.db).get(args.analyst)
        if analyst is None or analyst.disabled:
            return _error(f"no {'enabled ' if analyst else ''}analyst named {escape_text(args.analyst)} "
                          "(see: reportal analysts list)")
        report = store.get(args.id)
        if report is None:
            return _error(f"no report {escape_text(args.id)}")
        stored = store.assess(report["report_id"], args.url, outcome=args.outcome, hosting_country=args.hosting,
                              action=args.action, removed_at=args.removed, analyst=analyst.name,
                              audit_detail={"os_user": os_user(), "via": "cli"})
        status = store.get(report["report_id"])["status"]
    except AmbiguousId as exc:
        return _error(f"{escape_text(args.id)} matches several reports: {', '.join(exc.matches)}")
    except ValueError as exc:  # unknown URL number, vocabulary, dates: the message says which
        return _error(escape_text(str(exc)))
    finally:
        store.close()
    extra = "".join(f", {label} {stored[key]}" for key, label in
                    (("hosting_country", "hosted in"), ("action", "action"), ("removed_at", "removed"))
                    if stored[key] is not None)
    print(f"{report['report_id']} URL {stored['url']}: {stored['outcome']}{extra}; by {stored['analyst']}. "
          f"Report {status}.")
    return 0


def _write_private(path: Path, write: Callable[[IO[str]], int]) -> int:
    """Run `write` on a new file of mode 0600 beside `path` (it holds reports), then rename it
    over `path`: an existing file's looser mode is never kept, and a failed export leaves the
    old file whole. Returns what `write` returned; the temporary file is removed on error."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            result = write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return result


@_unavailable_is_an_error
def _inbox_export(args: argparse.Namespace) -> int:
    from reportal.inbox.export import escape_text, write_csv, write_jsonl

    store = _open_store(args.db)
    write = write_csv if args.format == "csv" else write_jsonl
    reports = store.iter_reports() if store else iter(())
    try:
        if store:
            _audit_view(store, "export", None, {"format": args.format,
                                                 "to": "stdout" if args.out in (None, "-") else "file"})
        if args.out in (None, "-"):
            count = write(reports, sys.stdout)
        else:
            count = _write_private(Path(args.out), lambda out: write(reports, out))
    except OSError as exc:  # a missing folder, no permission, a disk full: the old file is kept
        return _error(f"cannot write {escape_text(args.out)}: {exc.strerror or type(exc).__name__}")
    finally:
        if store:
            store.close()
    print(f"exported {count} report(s) as {args.format}", file=sys.stderr)
    return 0


def add_commands(sub: Any) -> None:
    """Register `inbox {drain,list,show,assess,export}` (and the operations' and feedback's
    inbox commands) on the subparsers action `sub` of the `reportal` parser."""
    inbox = sub.add_parser("inbox", help="the analysts' inbox").add_subparsers(dest="inbox_command", required=True)
    p = inbox.add_parser("drain", help="receive, open, store, then delete reports from the queue")
    p.add_argument("--queue-url", default=None, help="default: $REPORTAL_QUEUE_URL")
    p.add_argument("--identity", action="append", help=f"identity file (repeatable; default {DEFAULT_IDENTITY})")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--once", action="store_true", help="drain until nothing new arrives, then exit")
    p.add_argument("--wait", type=int, choices=range(0, 21), default=None, metavar="SECONDS",
                   help="long-polling wait per receive, 0-20 (default 20; 1 with --once)")
    p.add_argument("--receivers", type=int, choices=range(1, 17), default=4, metavar="N",
                   help="threads receiving from the queue at once, 1-16 (default 4); one writer stores")
    p.add_argument("--duplicate-window", type=float, default=72.0, metavar="HOURS",
                   help="group reports with the same URLs received this close together (default 72)")
    p.set_defaults(func=_inbox_drain)
    p = inbox.add_parser("list", help="list stored reports, oldest first")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--json", action="store_true",
                   help="a JSON array: envelope plaintexts plus duplicate_of, status and assessments")
    p.set_defaults(func=_inbox_list)
    p = inbox.add_parser("show", help="show one report in full (URLs as escaped text)")
    p.add_argument("id", help="report id, or a unique prefix of 4 or more characters")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_inbox_show)
    from reportal.inbox.vocabulary import ACTIONS, OUTCOMES

    p = inbox.add_parser("assess", help="record the assessment of one reported URL (audited as --as NAME)")
    p.add_argument("id", help="report id, or a unique prefix of 4 or more characters")
    p.add_argument("--url", type=int, required=True, metavar="N", help="the URL's number in the report, from 1")
    p.add_argument("--outcome", required=True, choices=OUTCOMES)
    p.add_argument("--hosting", default=None, metavar="CC",
                   help="hosting country: ISO 3166-1 alpha-2 code in lowercase, or unknown")
    p.add_argument("--action", default=None, choices=ACTIONS)
    p.add_argument("--removed", default=None, metavar="DATE|DATETIME",
                   help="removal confirmed: YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)")
    p.add_argument("--as", dest="analyst", required=True, metavar="NAME", help="the analyst (an enabled account)")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_inbox_assess)
    p = inbox.add_parser("export", help="export every stored report")
    p.add_argument("--format", choices=("jsonl", "csv"), required=True)
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--out", default=None, help="file to write (mode 0600); default standard output")
    p.set_defaults(func=_inbox_export)
    from reportal.inbox import operations

    operations.add_commands(inbox)  # inbox {backup,restore,dlq}
    from reportal.feedback.commands import add_inbox_commands

    add_inbox_commands(inbox)  # inbox {notify,purge}
