"""`reportal analysts …` and `reportal audit …`: passwords from stdin, the TOTP URI printed,
every change audited as the OS user; `audit verify` exits 1 naming the first broken entry."""
from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pyotp
import pytest

from reportal import audit
from reportal.cli import main
from reportal.inbox.store import Store
from reportal.workbench.accounts import Accounts

PASSWORD = "a long enough password"


def _run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "var" / "inbox.sqlite"


def test_add_reads_the_password_from_stdin_and_prints_the_uri(db, capsys, monkeypatch) -> None:
    # GIVEN no database yet WHEN a supervisor is added with the password on stdin (not a terminal)
    code, out, err = _run(capsys, monkeypatch, "analysts", "add", "sam", "--role", "supervisor", "--db", str(db),
                          stdin=PASSWORD + "\n")
    # THEN the URI (only) is on stdout, no QR (not a terminal), and the password works with it
    assert code == 0, err
    [uri] = out.splitlines()
    assert uri.startswith("otpauth://totp/reportal:sam?secret=")
    assert "authenticator" in err and PASSWORD not in out + err
    with Store(db) as store:
        analyst = Accounts(store.db).authenticate("sam", PASSWORD, pyotp.parse_uri(uri).now())
        assert analyst.role == "supervisor"
        [entry] = [e for e in audit.entries(store.db) if e["action"] == "analyst-add"]
        assert (entry["actor"], entry["actor_kind"], entry["target"]) == (audit.os_user(), "os-user", "sam")


@pytest.mark.parametrize(("argv", "stdin", "message"), [
    (["analysts", "add", "sam", "--role", "supervisor"], "short\n", "at least 12 characters"),
    (["analysts", "add", "Sam!", "--role", "analyst"], PASSWORD + "\n", "lowercase letters"),
    (["analysts", "disable", "nobody"], "", "no analyst named nobody"),
    (["analysts", "reset-otp", "nobody"], "", "no analyst named nobody"),
])
def test_account_refusals_are_one_clear_line(db, capsys, monkeypatch, argv, stdin, message) -> None:
    code, out, err = _run(capsys, monkeypatch, *argv, "--db", str(db), stdin=stdin)
    assert (code, out) == (1, "") and err == f"error: {err.split('error: ')[1]}" and message in err


def test_list_disable_and_reset_otp(db, capsys, monkeypatch) -> None:
    for name, role in (("ana", "analyst"), ("sam", "supervisor")):
        assert _run(capsys, monkeypatch, "analysts", "add", name, "--role", role, "--db", str(db),
                    stdin=PASSWORD)[0] == 0
    code, out, err = _run(capsys, monkeypatch, "analysts", "reset-otp", "ana", "--db", str(db))
    assert code == 0 and out.startswith("otpauth://totp/reportal:ana?secret=") and "sessions have ended" in err
    assert _run(capsys, monkeypatch, "analysts", "disable", "sam", "--db", str(db))[0] == 0
    code, out, _ = _run(capsys, monkeypatch, "analysts", "list", "--db", str(db))
    assert [line.split()[:3] for line in out.splitlines()] == [["ana", "analyst", "active"],
                                                                ["sam", "supervisor", "disabled"]]
    with Store(db) as store:
        assert [(e["action"], e["target"]) for e in reversed(audit.entries(store.db))] == [
            ("analyst-add", "ana"), ("analyst-add", "sam"), ("analyst-reset-otp", "ana"), ("analyst-disable", "sam")]
        assert Accounts(store.db).get("ana").session_epoch == 1


def test_audit_verify_and_head(db, tmp_path, capsys, monkeypatch) -> None:
    # GIVEN a log of three entries
    with Store(db) as store:
        for n in range(3):
            store.record("ana", "view-report", f"r{n}")
        noted = audit.head(store.db)
    # WHEN head is asked THEN it prints the last hash; verify holds, against it too
    assert _run(capsys, monkeypatch, "audit", "head", "--db", str(db))[1] == noted + "\n"
    code, out, _ = _run(capsys, monkeypatch, "audit", "verify", "--db", str(db), "--head", noted)
    assert code == 0 and "3 entries chained" in out and "ends at the given head" in out and "agrees with" in out
    # AND a head that is not in the chain (entries cut off or rewritten) is refused
    code, _, err = _run(capsys, monkeypatch, "audit", "verify", "--db", str(db), "--head", "f" * 64)
    assert code == 1 and err == f"audit log broken: the head {'f' * 64} is not in the chain (entries cut off or " \
        "rewritten; the chain has 3 entries)\n"
    # WHEN an entry is changed behind the triggers' back THEN verify exits 1 naming it
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER audit_no_update")
    con.execute("UPDATE audit SET target = 'r9' WHERE seq = 2")
    con.commit()
    con.close()
    code, out, err = _run(capsys, monkeypatch, "audit", "verify", "--db", str(db))
    assert (code, out) == (1, "")
    assert err == "audit log broken: entry 2: its contents do not match its hash (changed after it was written)\n"


def test_audit_commands_on_a_missing_database_fail_clearly(db, capsys, monkeypatch) -> None:
    code, _, err = _run(capsys, monkeypatch, "audit", "verify", "--db", str(db))
    assert code == 1 and err == f"error: no inbox database at {db}\n"
    assert not db.exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice_and_a_qr_code_is_drawn(db, capsys, monkeypatch) -> None:
    # GIVEN a terminal on stdin and stdout, and a user typing the same password twice
    typed = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    monkeypatch.setattr("sys.stdin", _Terminal())
    out = _Terminal()
    monkeypatch.setattr("sys.stdout", out)
    # WHEN an analyst is added
    assert main(["analysts", "add", "ana", "--role", "analyst", "--db", str(db)]) == 0
    # THEN the URI is printed, then a QR code drawn with block characters
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("otpauth://totp/reportal:ana?secret=")
    assert len(lines) > 20 and set("".join(lines[1:])) <= set("█▀▄ ")


def test_on_a_terminal_two_different_passwords_change_nothing(db, capsys, monkeypatch) -> None:
    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    monkeypatch.setattr("sys.stdin", _Terminal())
    assert main(["analysts", "add", "ana", "--role", "analyst", "--db", str(db)]) == 1
    assert capsys.readouterr().err == "error: the two passwords differ; nothing was changed\n"
    assert not db.exists()
