"""The hotline's operations commands: `inbox backup`, `inbox restore`, `inbox dlq list|redrive`
(registered on the `inbox` group by `reportal.inbox.commands`). Every failure is one line."""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from reportal.keys import DEFAULT_IDENTITY

__all__ = ["add_commands"]


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _config(root: Path) -> tuple[list[str], int | None]:
    """(age recipients of every portal, the shortest retention period in days) from `sites/`."""
    from reportal.site.config import ConfigError, load_config

    try:
        portals = load_config(root / "sites").portals
    except ConfigError as exc:
        raise ValueError(f"{exc.problems[0]} (run `reportal check`)") from exc
    recipients = list(dict.fromkeys(str(r) for p in portals for r in p.recipients))
    shortest = min((min(p.retention.email_days, p.retention.report_days) for p in portals), default=None)
    return recipients, shortest


def _identity_paths(args: argparse.Namespace) -> list[Path]:
    return [Path(p) for p in (args.identity or [DEFAULT_IDENTITY])]


def _backup(args: argparse.Namespace) -> int:
    from reportal.envelope import EnvelopeError, parse_recipients, recipients_of
    from reportal.inbox.backup import TIME_FIELD, BackupError, backup, expand_time, prune

    try:
        configured, shortest = _config(Path(args.root))
        held = [r for path in _identity_paths(args) for r in recipients_of(path)]
        recipients = parse_recipients(configured + held)
    except (ValueError, EnvelopeError, OSError) as exc:
        return _error(f"cannot gather the backup's recipients: {exc}")
    keep = args.keep_days if args.keep_days is not None else shortest
    if keep is not None and shortest is not None and keep > shortest:
        return _error(f"--keep-days {keep} is longer than the shortest retention period ({shortest} days): "
                      "a purged report would live on in the backups", 2)
    now = datetime.now(timezone.utc)
    out = expand_time(args.out, now)
    try:
        made = backup(Path(args.db), out, recipients)
    except BackupError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {out}: {exc.strerror or type(exc).__name__}")
    head = f", audit head {made.audit_head}" if made.audit_head else ""
    print(f"backup {made.path}: {made.reports} report(s), {made.size} bytes sealed to {len(recipients)} "
          f"recipient(s){head}")
    if TIME_FIELD in args.out and keep is not None:
        for old in prune(args.out, timedelta(days=keep), now):
            print(f"removed {old} (older than {keep} days)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from reportal.envelope import EnvelopeError, load_identities
    from reportal.inbox.backup import BackupError, restore

    try:
        identities = [i for path in args.identity for i in load_identities(Path(path))]
    except (EnvelopeError, OSError) as exc:
        return _error(f"cannot read the identity: {exc}")
    try:
        made = restore(Path(args.file), identities, Path(args.db))
    except BackupError as exc:
        return _error(str(exc))
    except OSError as exc:
        return _error(f"cannot write {args.db}: {exc.strerror or type(exc).__name__}")
    head = f"; audit log holds (head at backup {made.audit_head})" if made.audit_head else ""
    print(f"restored {made.reports} report(s) into {made.path}{head}")
    if made.anchor_kept:
        print(f"the audit anchor file beside it described the database it replaces: kept as {made.anchor_kept} "
              f"(not deleted); a fresh anchor was written from the restored chain. {made.anchor_note}")
    return 0


def _sqs(queue_url: str) -> Any:
    import boto3

    from reportal.inbox.commands import queue_region

    return boto3.client("sqs", region_name=queue_region(queue_url))


def _dlq(args: argparse.Namespace) -> int:
    from reportal.aws_errors import AWS_FAILURES, AwsProblem, explain
    from reportal.inbox.dlq import list_dead_letters, redrive

    queue_url = args.queue_url or os.environ.get("REPORTAL_QUEUE_URL")
    if not queue_url:
        return _error("give --queue-url (the report queue, the deploy's QueueUrl) or set REPORTAL_QUEUE_URL", 2)
    try:
        sqs = _sqs(queue_url)
        if args.dlq_command == "list":
            print(list_dead_letters(sqs, queue_url).summary())
            return 0
        method, moved = redrive(sqs, queue_url, out=lambda line: print(line, file=sys.stderr))
        if method == "copy":
            print(f"moved {moved} dead letter(s) back to the report queue")
        return 0
    except LookupError as exc:
        return _error(str(exc))
    except (AwsProblem, *AWS_FAILURES) as exc:
        return _error(explain(exc, f"dead letters of {queue_url}"))


def add_commands(inbox: Any) -> None:
    """Register `backup`, `restore` and `dlq {list,redrive}` on the `inbox` subparsers action."""
    from reportal.inbox.commands import DEFAULT_DB

    p = inbox.add_parser("backup", help="seal a consistent copy of the inbox database with age (never plaintext)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the sealed file (mode 0600); {time} in it becomes the UTC time, and older backups "
                        "of that series are removed after --keep-days")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--identity", action="append",
                   help=f"identity file the inbox holds; its recipients are added (repeatable; default {DEFAULT_IDENTITY})")
    p.add_argument("--keep-days", type=int, default=None, metavar="DAYS",
                   help="days a backup of a {time} series is kept (default and maximum: the shortest retention period)")
    p.set_defaults(func=_backup)
    p = inbox.add_parser("restore", help="open a backup with an identity into a new database file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--identity", action="append", required=True, metavar="KEY", help="identity file (repeatable)")
    p.add_argument("--db", required=True, metavar="PATH", help="where to write the database (must not exist)")
    p.set_defaults(func=_restore)
    dlq = inbox.add_parser("dlq", help="dead letters: counts and ages, or move them back to the queue")
    verbs = dlq.add_subparsers(dest="dlq_command", required=True)
    for verb, text in (("list", "how many dead letters wait and how old they are (never their content)"),
                       ("redrive", "move every dead letter back to the report queue")):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("--queue-url", default=None, help="the report queue (default $REPORTAL_QUEUE_URL)")
        p.set_defaults(func=_dlq)
