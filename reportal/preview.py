"""`reportal serve`: the whole chain on one machine, no AWS account.

dist/ is served on 127.0.0.1 with the CDN's security headers; ``POST /submit`` goes through
the real handler as a Function URL event (payload 2.0); moto's ThreadedMotoServer is the
queue; a background thread drains it into `var/inbox.sqlite` with the development identity.
Nothing here logs a client address or a field value.
"""
from __future__ import annotations

import base64
import mimetypes
import os
import re
import threading
import time
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from reportal.headers import SECURITY_HEADERS
from reportal.local_aws import create_queues, free_port, function_url_event

__all__ = ["PreviewHandler", "Preview", "report_line", "serve"]

QUEUE_NAME = "reportal-reports"
_FINGERPRINT = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")  # as reportal.deploy names them


class _Reloading:
    """The function, made again by `make` whenever `reportal build` has rewritten `site_json`
    (its size or modification time changed), so the running preview accepts reports for a
    portal or language added since it started. A real deploy ships a new function instead."""

    def __init__(self, make: Callable[[], Callable[[dict, Any], dict]], site_json: Path):
        self._make, self._site_json = make, site_json
        self._lock = threading.Lock()
        self._stamp = self._read_stamp()
        self._function = make()

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self._site_json.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def __call__(self, event: dict, context: Any) -> dict:
        with self._lock:
            stamp = self._read_stamp()
            if stamp is not None and stamp != self._stamp:
                from reportal.submit import pages

                pages.clear_caches()  # templates and catalogs of the new build
                self._function, self._stamp = self._make(), stamp
            function = self._function
        return function(event, context)


class PreviewHandler(BaseHTTPRequestHandler):
    """Serve `dist/` like the CDN and hand ``POST /submit`` to the function."""

    server_version = "reportal-preview"
    sys_version = ""
    timeout = 15  # seconds a client may stall mid-request (a short body, a silent socket)

    def __init__(self, *args: Any, dist: Path, function: Callable[[dict, Any], dict], **kw: Any):
        self.dist = dist
        self.function = function
        super().__init__(*args, **kw)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # the stdlib logs client addresses; the preview logs nothing per request

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's own refusals (400 bad request line, 414 URI too long, 501 unknown method,
        505 HTTP version) with the CDN's security headers like every other answer, and a body
        that never quotes the request."""
        from http import HTTPStatus

        self.close_connection = True
        # A request line the server could not read leaves the version at HTTP/0.9, which gets
        # no status line or headers: answer as HTTP/1.0, as for every other refusal.
        self.request_version = "HTTP/1.0"
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
        self._send(code, {"Content-Type": "text/plain; charset=utf-8", "Connection": "close"},
                   f"{code} {phrase}\n".encode("ascii"), head_only=getattr(self, "command", None) == "HEAD")

    def _send(self, status: int, headers: dict[str, str], body: bytes, head_only: bool = False) -> None:
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _resolve(self, url_path: str) -> Path | None:
        rel = url_path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        try:
            target = (self.dist / rel).resolve()
            if self.dist.resolve() not in target.parents and target != self.dist.resolve():
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None
        except (OSError, ValueError):  # a NUL byte, a name too long for the file system…
            return None

    def _not_found(self, url_path: str) -> Path:
        parts = [p for p in url_path.split("?", 1)[0].split("/") if p]
        for depth in (2, 1):
            candidate = self.dist.joinpath(*parts[:depth], "404.html") if len(parts) >= depth else None
            try:
                if candidate and candidate.resolve().is_relative_to(self.dist.resolve()) and candidate.is_file():
                    return candidate
            except (OSError, ValueError):
                continue
        return self.dist / "404.html"

    def _get(self, head_only: bool) -> None:
        target = self._resolve(self.path)
        status = 200
        if target is None:
            target, status = self._not_found(self.path), 404
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype == "image/svg+xml":
            ctype += "; charset=utf-8"
        # Only a fingerprinted file (style.<hex>.css) is immutable; pages, robots.txt, sitemap.xml,
        # favicon.ico and logos change with a rebuild under the same name.
        cache = "public, max-age=31536000, immutable" if _FINGERPRINT.search(target.name) else "no-cache"
        self._send(status, {"Content-Type": ctype, "Cache-Control": cache}, target.read_bytes(), head_only)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._get(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._get(head_only=True)

    def do_POST(self) -> None:  # noqa: N802
        if self.path.split("?", 1)[0] != "/submit":
            self._send(405, {"Content-Type": "text/plain; charset=utf-8", "Allow": "GET, HEAD"}, b"Method not allowed")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._send(400, {"Content-Type": "text/plain; charset=utf-8"}, b"Bad request")
            return
        body = self.rfile.read(min(length, 6 * 1024 * 1024))  # Lambda's 6 MB request payload limit
        headers = {k: v for k, v in self.headers.items()}
        answer = self.function(function_url_event("POST", "/submit", headers, body), None)
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode("utf-8")
        out_headers = {k: v for k, v in (answer.get("headers") or {}).items() if k.lower() != "content-length"}
        self._send(int(answer["statusCode"]), out_headers, data)


class _InboxGate:
    """The SQS client as the function sees it in the preview: SendMessage fails (as a queue
    failure: the function's 503 page, input kept) while the inbox drain is failing."""

    def __init__(self, sqs: Any, inbox_ok: threading.Event):
        self._sqs, self._inbox_ok = sqs, inbox_ok

    def send_message(self, **kwargs: Any) -> dict:
        if not self._inbox_ok.is_set():
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "InboxDrainFailing", "Message": "see the preview's console"}},
                              "SendMessage")
        return self._sqs.send_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)


class _QuietServer(ThreadingHTTPServer):
    """socketserver prints a traceback naming the client's address for a failed request;
    the preview reports only the exception type."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        sys.stderr.write(f"preview: a request failed ({sys.exc_info()[0].__name__})\n")


class Preview:
    """The running chain: moto server (queue), function, drain thread and HTTP server.

    `start()` returns the site URL; `stop()` ends all of it. `on_report` is called with
    (report_id, portal, lang) for every report the inbox stores; `on_drain_failure` with
    (exception type name, seconds until the retry) whenever the drain fails.
    """

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000,
                 on_report: Callable[[str, str, str], None] | None = None,
                 on_drain_failure: Callable[[str, float], None] | None = None):
        self.root, self.host, self.port = root, host, port
        self.on_report = on_report or (lambda *a: None)
        self.on_drain_failure = on_drain_failure or (lambda *a: None)
        self.inbox_ok = threading.Event()  # clear while the drain is failing (see `_drain`)
        self.inbox_ok.set()
        self.var = root / "var"
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> str:
        """Build, start the queue, the function and the inbox; return the site's base URL."""
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # it logs client addresses

        from reportal.envelope import generate_identity, load_identities, recipients_of
        from reportal.site.build import Paths, build

        build(Paths.under(self.root), self.root / "dist", self.root / "build" / "function")
        key = self.var / "keys" / "dev.key"
        if not key.exists():
            generate_identity(key)
        moto_port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        for name, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
                            "AWS_ACCESS_KEY_ID": "preview", "AWS_SECRET_ACCESS_KEY": "preview",
                            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-2")}.items():
            os.environ[name] = value
        import boto3

        from reportal.submit.app import make_handler
        from reportal.submit.settings import Settings

        sqs = boto3.client("sqs")
        self.queue_url = create_queues(sqs, QUEUE_NAME)
        settings = Settings(queue_url=self.queue_url, recipients=tuple(recipients_of(key)),
                            data_dir=self.root / "build" / "function")
        gated = _InboxGate(sqs, self.inbox_ok)
        function = _Reloading(lambda: make_handler(settings, gated), settings.data_dir / "site.json")
        identities = load_identities(key)
        self._start_thread(self._drain, sqs, identities)
        handler = partial(PreviewHandler, dist=self.root / "dist", function=function)
        try:
            self.httpd = _QuietServer((self.host, self.port), handler)
        except OSError:  # the port is taken: leave nothing running behind
            self._stop.set()
            self.moto.stop()
            raise
        self.port = self.httpd.server_address[1]
        self._start_thread(self.httpd.serve_forever)
        return f"http://{self.host}:{self.port}"

    def _start_thread(self, target: Callable[..., Any], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _drain(self, sqs: Any, identities: list) -> None:
        """Drain until stopped; a failed drain is said on stderr and restarted (1 s, doubling to
        30 s). Until it commits again, `inbox_ok` is clear and the function answers 503 (its
        "not received" page, input kept) instead of thanking a reporter whose report would
        only wait in the emulator's memory."""
        from reportal.inbox.drain import drain
        from reportal.inbox.store import Store

        backoff = 1.0
        while not self._stop.is_set():
            try:
                with Store(self.var / "inbox.sqlite") as store:
                    drain(sqs, self.queue_url, identities, store, once=False, wait_seconds=1,
                          on_stored=lambda r: self.on_report(r["report_id"], r["portal"], r["lang"]),
                          on_progress=lambda stats: self.inbox_ok.set(), should_stop=self._stop.is_set)
                return
            except Exception as exc:  # the drain must not die unseen: say it, refuse reports, retry
                self.inbox_ok.clear()
                self.on_drain_failure(type(exc).__name__, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)

    def stop(self) -> None:
        """Stop the HTTP server, the drain thread and the moto server."""
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.moto.stop()


def workbench_hint(root: Path) -> str:
    """How to open the analysts' workbench beside the preview, over the inbox it fills."""
    db = root / "var" / "inbox.sqlite"
    option = "" if root.resolve() == Path.cwd().resolve() else f" --db {db}"
    return ("analysts' workbench, in another terminal:\n"
            f"  .venv/bin/reportal analysts add NAME --role supervisor{option}   (enrol the printed TOTP URI)\n"
            f"  .venv/bin/reportal workbench{option}   then open http://127.0.0.1:8800/ (docs/workbench.md)")


def report_line(report_id: str, portal: str, lang: str) -> str:
    """The console line for a stored report: what came off the queue escaped
    (`reportal.inbox.export.escape_text`), so no value can steer the terminal."""
    from reportal.inbox.export import escape_text

    return f"report received: {escape_text(report_id)} portal={escape_text(portal)} lang={escape_text(lang)}\n"


def serve(root: Path, port: int = 8000, host: str = "127.0.0.1") -> int:
    """Run the local preview until interrupted; print one line per stored report."""
    import errno
    import signal
    import sys

    def announce(report_id: str, portal: str, lang: str) -> None:
        # One write per line, so it cannot interleave with the function's JSON log lines.
        sys.stdout.write(report_line(report_id, portal, lang))
        sys.stdout.flush()

    def drain_failed(error: str, retry: float) -> None:
        sys.stderr.write(f"preview: the inbox drain failed ({error}); reports wait on the queue and new ones "
                         f"get the 'not received' page until it stores again; retrying in {retry:g} s\n")
        sys.stderr.flush()

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    preview = Preview(root, host=host, port=port, on_report=announce, on_drain_failure=drain_failed)
    try:
        url = preview.start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        sys.stderr.write(f"error: {host}:{port} is already in use (another preview?). Stop it, or choose "
                         f"another port: `reportal serve --port {port + 100}` or `make run PORT={port + 100}`\n")
        return 2
    # A background job started by a shell ignores SIGINT; SIGTERM is what `kill` sends.
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    print(f"reportal preview on {url}/  (queue {preview.queue_url}; inbox {root / 'var' / 'inbox.sqlite'})", flush=True)
    print(workbench_hint(root), flush=True)
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        preview.stop()
    return 0
