"""`reportal stats`: partner statistics per portal and calendar month (reportal.stats.figures)."""
from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_commands"]

DEFAULT_DB = "var/inbox.sqlite"


def _error(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _portal_info(root: Path) -> tuple[dict[str, tuple[str, str | None]], str]:
    """(portal code → (default language, the config's name for the country in it, if any),
    hotline name) from sites/, or ({}, "") if it cannot load."""
    from reportal.site.config import ConfigError, load_config

    try:
        portals = load_config(root / "sites").portals
    except (ConfigError, OSError):
        return {}, ""
    info = {p.code: (p.default_language, p.names.get(p.default_language)) for p in portals}
    return info, (portals[0].hotline.name if portals else "")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)


def _stats(args: argparse.Namespace) -> int:
    from reportal import audit
    from reportal.inbox.store import Store
    from reportal.stats.figures import Period, PeriodError, compute, publish, to_csv, to_json

    db_path = Path(args.db)
    if not db_path.exists():
        return _error(f"no inbox database at {args.db}")
    root = Path(args.root)
    with Store(db_path) as store:
        try:
            first = store.db.execute("SELECT substr(min(received_at), 1, 7) FROM reports").fetchone()[0]
            period = Period.parse(args.since, args.until, first=first)
            portals = sorted(set(args.portal)) if args.portal else None
            rows = publish(compute(store.db, period, portals), exact=args.exact)
            if args.exact:
                with audit.transaction(store.db):
                    audit.append(store.db, audit.os_user(), "stats-exact", None,
                                 {"portals": portals or "all", "since": period.since, "until": period.until,
                                  "format": args.format}, actor_kind="os-user")
        except PeriodError as exc:
            return _error(str(exc), 2)
        except sqlite3.Error as exc:
            return _error(f"the inbox database failed ({type(exc).__name__}: {exc})")
    if args.format in ("json", "csv"):
        text = to_json(rows) if args.format == "json" else to_csv(rows)
        if args.out in (None, "-"):
            sys.stdout.write(text)
        else:
            _write(Path(args.out), text)
        return 0
    from reportal.stats.report import render_html

    portals_info, hotline = _portal_info(root)
    by_portal: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_portal.setdefault(row["portal"], []).append(row)
    if not by_portal:
        return _error("no portal to report on (no reports, and none given with --portal)")
    if len(by_portal) > 1 and args.out in (None, "-"):
        return _error("one HTML file per portal: give --out FOLDER (or one --portal)", 2)
    for code, portal_rows in by_portal.items():
        lang, name = portals_info.get(code, ("en", None))
        html = render_html(portal_rows, portal=code, lang=lang, hotline=hotline or "", country=name,
                           templates=root / "templates", translations_dir=root / "translations", exact=args.exact)
        if args.out in (None, "-"):
            sys.stdout.write(html)
        elif len(by_portal) == 1 and not Path(args.out).is_dir():
            _write(Path(args.out), html)
        else:
            target = Path(args.out) / f"stats-{code}-{period.since}_{period.until}.html"
            _write(target, html)
            print(target)
    return 0


def add_commands(sub: Any) -> None:
    """Register `stats` on the subparsers action `sub` of the `reportal` parser."""
    p = sub.add_parser("stats", help="partner statistics per portal and calendar month")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--portal", action="append", metavar="CC", help="only this portal (repeatable)")
    p.add_argument("--since", default=None, metavar="YYYY-MM", help="first month (default: the oldest report's)")
    p.add_argument("--until", default=None, metavar="YYYY-MM", help="last month (default: the last month ended)")
    p.add_argument("--format", choices=("json", "csv", "html"), required=True)
    p.add_argument("--out", default=None, help="file to write (html with several portals: a folder)")
    p.add_argument("--exact", action="store_true",
                   help="show counts below 5 exactly (hotline only; audited as stats-exact)")
    p.set_defaults(func=_stats)
