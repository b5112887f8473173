"""`reportal workbench [--db PATH] [--host 127.0.0.1] [--port 8800]`: serve the workbench with
waitress (registered by `reportal.cli`).

Bound to 127.0.0.1 by default. On a LAN it runs behind a TLS reverse proxy on the same machine
(docs/workbench.md): `--trusted-proxy 127.0.0.1` makes waitress believe that proxy's
`X-Forwarded-Proto`, so cookies get `Secure` and the `__Host-` prefix and HSTS is sent.
Nothing here logs a client address, a user agent or a form value.
"""
from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
from pathlib import Path

__all__ = ["add_commands", "make_app"]

DEFAULT_PORT = 8800


def make_app(db: Path, root: Path = Path(".")):  # noqa: ANN201 - Flask, imported late
    """The workbench over the inbox database at `db` (created and migrated if needed);
    `root` holds sites/ (the retention periods a supervisor's purge applies)."""
    from reportal.inbox.store import Store
    from reportal.workbench.app import WorkbenchSettings, create_app

    return create_app(WorkbenchSettings(root=root), lambda: Store(db))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _workbench(args: argparse.Namespace) -> int:
    import waitress

    db = Path(args.db)
    app = make_app(db, Path(args.root))
    from reportal.inbox.store import Store

    with Store(db) as store:  # create and migrate now: a broken database fails here, not at a first login
        nobody = store.db.execute("SELECT count(*) FROM analysts").fetchone()[0] == 0
    if not _loopback(args.host) and not args.trusted_proxy:
        print(f"warning: serving on {args.host} without TLS; on a LAN put a TLS proxy in front "
              "(docs/workbench.md) and pass --trusted-proxy", file=sys.stderr)
    print(f"reportal workbench on http://{args.host}:{args.port}/  (inbox {db}); Ctrl-C to stop.", flush=True)
    if nobody:
        print(f"No analyst yet: reportal analysts add NAME --role supervisor --db {db}", flush=True)
    # waitress reads a whole body (default up to 1 GiB, spooled to disk) before the app sees its
    # Content-Length: refuse a longer one than the app takes before reading it
    options = {"host": args.host, "port": args.port, "threads": args.threads, "ident": "",
               "clear_untrusted_proxy_headers": True,
               "max_request_body_size": app.config["MAX_CONTENT_LENGTH"]}
    if args.trusted_proxy:
        options.update(trusted_proxy=args.trusted_proxy, trusted_proxy_headers={"x-forwarded-proto"})
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill` and systemd send SIGTERM: stop as Ctrl-C does

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        waitress.serve(app, **options)
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port} ({exc.strerror}); choose another --port",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `reportal workbench`."""
    from reportal.inbox.commands import DEFAULT_DB

    p = sub.add_parser("workbench", help="the analysts' workbench (web, on 127.0.0.1:8800 by default)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"inbox database (default {DEFAULT_DB})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    p.add_argument("--trusted-proxy", default=None, metavar="IP",
                   help="address of the TLS proxy in front, whose X-Forwarded-Proto is believed")
    p.set_defaults(func=_workbench)
