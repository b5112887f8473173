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
