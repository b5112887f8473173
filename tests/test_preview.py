"""The local preview: the whole chain over HTTP, and a static server that fails closed."""
from __future__ import annotations

import http.client
import shutil
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support import FIXTURE_SITES, ROOT


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A preview on a free port over a copy of the fixture portals (bz en+es, eg ar+en)."""
    from reportal.preview import Preview

    root = tmp_path_factory.mktemp("preview")
    shutil.copytree(FIXTURE_SITES, root / "sites")
    for name in ("templates", "translations"):
        shutil.copytree(ROOT / name, root / name)
    seen: list[tuple[str, str, str]] = []
    stored = threading.Event()

    def on_report(*report: str) -> None:
        seen.append(report)
        stored.set()

    running = Preview(root, port=0, on_report=on_report)
    running.start()
    running.seen, running.stored = seen, stored
    yield running
    running.stop()


def _request(preview: Any, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", preview.port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    answer = conn.getresponse()
    return answer.status, dict(answer.getheaders()), answer.read()


def _raw(preview: Any, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", preview.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_a_report_posted_to_the_preview_reaches_the_inbox(preview: Any) -> None:
    # GIVEN the Spanish Belize page is served with the CDN's headers
    status, headers, page = _request(preview, "GET", "/bz/es/")
    assert status == 200 and b'<html lang="es"' in page
    assert headers["Referrer-Policy"] == "no-referrer" and "Set-Cookie" not in headers
    # WHEN the form is posted as a browser would, with Origin: null
    form = urlencode([("portal", "bz"), ("lang", "es"), ("url", "hxxps://bad[.]example/x"), ("url", ""),
                      ("trap", "")]).encode()
    status, headers, _ = _request(preview, "POST", "/submit", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Origin": "null"})
    # THEN the reporter is sent to the Spanish thanks page, and the inbox stores the report
    assert (status, headers["Location"]) == (303, "/bz/es/thanks/")
    assert preview.stored.wait(timeout=15), "the drain thread stored nothing within 15 s"
    assert [(portal, lang) for _, portal, lang in preview.seen] == [("bz", "es")]


@pytest.mark.parametrize("path", ["/a\x00b", "/" + "a" * 300, "/bz/en/" + "b" * 300 + "/x", "/%2e%2e/%2e%2e/etc/passwd",
                                  "/../../etc/passwd", "/var/keys/dev.key"])
def test_odd_paths_get_the_404_page_not_a_dropped_connection(preview: Any, path: str, capfd) -> None:
    answer = _raw(preview, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1"))
    assert answer.startswith(b"HTTP/1.0 404 ")
    assert b"<!doctype html>" in answer
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("length", ["ZZSENT5", "-5"])
def test_a_bad_content_length_is_a_400_and_never_logged(preview: Any, length: str, capfd) -> None:
    answer = _raw(preview, f"POST /submit HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.0 400 ")
    err = capfd.readouterr().err
    assert "ZZSENT5" not in err and "Traceback" not in err and "127.0.0.1" not in err


def test_a_taken_port_is_a_clear_error_not_a_traceback(preview: Any, tmp_path: Path, capsys) -> None:
    # GIVEN a preview already listening; WHEN a second one asks for the same port
    from reportal.preview import serve

    code = serve(preview.root, port=preview.port)
    # THEN it says what to do, exits 2, and leaves the first one serving
    err = capsys.readouterr().err
    assert code == 2
    assert f"127.0.0.1:{preview.port} is already in use" in err and "--port" in err
    assert _request(preview, "GET", "/bz/en/")[0] == 200


def test_the_preview_tells_how_to_open_the_workbench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportal.preview import workbench_hint

    # GIVEN the preview run from the repository root, and over another root
    monkeypatch.chdir(tmp_path)
    here, elsewhere = workbench_hint(tmp_path), workbench_hint(tmp_path / "other")
    # THEN it names the command that creates an analyst and the one that serves the workbench
    assert "reportal analysts add NAME --role supervisor" in here and "http://127.0.0.1:8800/" in here
    assert "reportal workbench " in here and "--db" not in here
    # AND points both at the preview's inbox when that is not ./var/inbox.sqlite
    assert f"--db {tmp_path / 'other' / 'var' / 'inbox.sqlite'}" in elsewhere


def test_a_portal_added_and_built_while_the_preview_runs_accepts_reports(preview: Any) -> None:
    # GIVEN a running preview, and a portal it has never seen
    from reportal.site.build import Paths, build

    form = urlencode([("portal", "sn"), ("lang", "fr"), ("url", "example.com/a"), ("trap", "")]).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _request(preview, "POST", "/submit", form, headers)[0] == 400  # not a portal yet
    (preview.root / "sites" / "sn.yaml").write_text(
        'code: sn\nlanguages: [fr]\nhelp:\n  - kind: police\n    phone: "17"\n    label: {fr: Police}\n',
        encoding="utf-8")
    try:
        # WHEN `reportal build` rebuilds dist/ and the function's data
        build(Paths.under(preview.root), preview.root / "dist", preview.root / "build" / "function")
        # THEN the running preview serves the new portal and accepts a report for it
        assert _request(preview, "GET", "/sn/fr/")[0] == 200
        status, answer, _ = _request(preview, "POST", "/submit", form, headers)
        assert (status, answer["Location"]) == (303, "/sn/fr/thanks/")
    finally:
        (preview.root / "sites" / "sn.yaml").unlink()


@pytest.mark.parametrize("request_bytes, status", [
    (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET / \x1b[2J HTTP/1.1 x\r\nHost: x\r\n\r\n", 400),
])
def test_the_servers_own_refusals_carry_the_security_headers(preview: Any, request_bytes: bytes, status: int,
                                                             capfd) -> None:
    from reportal.headers import SECURITY_HEADERS

    # GIVEN a request the stdlib server refuses before any handler of ours runs
    answer = _raw(preview, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    # THEN the refusal has the CDN's headers, and quotes nothing of the request
    assert head.startswith(f"HTTP/1.0 {status} ".encode())
    for name, value in SECURITY_HEADERS.items():
        assert f"\r\n{name}: {value}".encode() in head, name
    assert b"\x1b" not in answer and b"aaaa" not in body and b"BREW" not in body
    assert "\x1b" not in capfd.readouterr().err


def test_the_console_line_escapes_what_came_off_the_queue() -> None:
    from reportal.preview import report_line

    assert report_line("ab12", "bz\x1b[2J", "es\u202e") == "report received: ab12 portal=bz\\x1b[2J lang=es\\u202e\n"
