"""`reportal workbench`: waitress on 127.0.0.1:8800 by default, the TLS proxy believed only
when named, and a hint when the inbox has no analyst yet."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _serve(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> dict[str, Any]:
    import waitress

    from reportal.cli import main

    seen: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **options: seen.update(options, app=app))
    assert main(argv) == 0
    return seen


def test_defaults_bind_to_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    # GIVEN an inbox path that does not exist yet WHEN the workbench starts with the defaults
    db = tmp_path / "var" / "inbox.sqlite"
    options = _serve(monkeypatch, ["workbench", "--db", str(db)])
    # THEN waitress listens on 127.0.0.1:8800, believes no proxy header, names no server
    assert (options["host"], options["port"], options["ident"]) == ("127.0.0.1", 8800, "")
    assert "trusted_proxy" not in options and options["clear_untrusted_proxy_headers"] is True
    # AND the inbox was created and migrated, and the output says how to add the first analyst
    assert db.exists()
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8800/" in out and f"reportal analysts add NAME --role supervisor --db {db}" in out


def test_behind_a_tls_proxy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    # GIVEN a proxy on the same machine WHEN it is named THEN only its X-Forwarded-Proto is believed
    options = _serve(monkeypatch, ["workbench", "--db", str(tmp_path / "inbox.sqlite"), "--host", "127.0.0.1",
                                   "--trusted-proxy", "127.0.0.1"])
    assert options["trusted_proxy"] == "127.0.0.1" and options["trusted_proxy_headers"] == {"x-forwarded-proto"}
    assert "warning" not in capsys.readouterr().err


def test_a_lan_address_without_a_proxy_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: Any) -> None:
    _serve(monkeypatch, ["workbench", "--db", str(tmp_path / "inbox.sqlite"), "--host", "0.0.0.0"])
    assert "without TLS" in capsys.readouterr().err


def test_a_body_over_the_apps_limit_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: Any) -> None:
    """waitress reads a whole body (up to 1 GiB by default, spooled to a temporary file) before
    the app sees its Content-Length: 100 connections could fill the disk without logging in."""
    import socket
    import threading

    import waitress

    # GIVEN the workbench served with the options `reportal workbench` gives waitress, on a free port
    options = _serve(monkeypatch, ["workbench", "--db", str(tmp_path / "inbox.sqlite"), "--port", "0"])
    app = options.pop("app")
    assert options["max_request_body_size"] == app.config["MAX_CONTENT_LENGTH"]
    server = waitress.create_server(app, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        # WHEN a client announces 20 MiB and starts sending
        with socket.create_connection(("127.0.0.1", server.effective_port), timeout=10) as conn:
            conn.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: %d\r\n\r\n" % (20 * 2**20))
            # THEN it is answered 413 before any of the body is read
            assert conn.recv(100).startswith(b"HTTP/1.1 413")
    finally:
        server.close()
        thread.join(5)
