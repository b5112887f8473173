"""`reportal inbox assess` (audited as the named analyst and the OS user), status and
assessments in `inbox list/show`, and the CLI views audited as the OS user."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from reportal import audit
from reportal.cli import main
from reportal.inbox.store import Store
from reportal.workbench.accounts import Accounts
from tests.support import make_report


@pytest.fixture
def db(tmp_path) -> Path:
    """An inbox with one two-URL report (id aaaa0001…) and analysts ana (enabled) and old (disabled)."""
    path = tmp_path / "inbox.sqlite"
    with Store(path) as store:
        store.add_many([make_report(report_id="aaaa0001", urls=["https://a.example/1", "https://b.example/2"],
                                    received_at="2025-03-01T10:00:00Z")])
        accounts = Accounts(store.db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        accounts.add("ana", "analyst", "a long enough password")
        accounts.add("old", "analyst", "a long enough password")
        accounts.disable("old")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _entries(db: Path) -> list[dict]:
    with Store(db) as store:
        return list(reversed(audit.entries(store.db)))


def test_assess_records_an_assessment_as_the_analyst_and_the_os_user(db, capsys) -> None:
    # WHEN URL 2 is assessed from the command line
    code, out, err = _run(capsys, "inbox", "assess", "aaaa", "--url", "2", "--outcome", "baseline", "--hosting", "nl",
                          "--action", "notice-to-host", "--as", "ana", "--db", str(db))
    # THEN it is stored, the report is in progress, and the audit names both
    assert (code, err) == (0, "")
    assert out == "aaaa0001 URL 2: baseline, hosted in nl, action notice-to-host; by ana. Report in-progress.\n"
    entry = _entries(db)[-1]
    assert (entry["actor"], entry["actor_kind"], entry["action"], entry["target"]) == (
        "ana", "analyst", "assess", "aaaa0001")
    assert entry["detail"]["os_user"] == audit.os_user() and entry["detail"]["url"] == 2
    # WHEN URL 1 follows, with removal confirmed THEN the report is assessed
    code, out, _ = _run(capsys, "inbox", "assess", "aaaa0001", "--url", "1", "--outcome", "unavailable",
                        "--removed", "2025-03-02", "--as", "ana", "--db", str(db))
    assert code == 0 and out.endswith("removed 2025-03-02T00:00:00Z; by ana. Report assessed.\n")
    # AND list --json and show --json carry status and assessments
    code, out, _ = _run(capsys, "inbox", "list", "--json", "--db", str(db))
    [listed] = json.loads(out)
    assert listed["status"] == "assessed"
    assert [(a["url"], a["outcome"], a["hosting_country"], a["action"], a["analyst"], a["removed_at"])
            for a in listed["assessments"]] == [(1, "unavailable", None, None, "ana", "2025-03-02T00:00:00Z"),
                                                (2, "baseline", "nl", "notice-to-host", "ana", None)]
    assert set(listed["assessments"][0]) == {"url", "outcome", "hosting_country", "action", "analyst",
                                             "assessed_at", "removed_at"}
    code, out, _ = _run(capsys, "inbox", "show", "aaaa0001", "--json", "--db", str(db))
    shown = json.loads(out)
    assert (shown["status"], shown["assessments"]) == ("assessed", listed["assessments"])
    # AND the text views show them
    code, out, _ = _run(capsys, "inbox", "show", "aaaa0001", "--db", str(db))
    assert "status       assessed\n" in out
    assert "url 2        https://b.example/2\n  as typed    b.example/2\n  assessed    baseline, hosted in nl, " \
           "action notice-to-host, by ana at " in out
    assert _run(capsys, "inbox", "list", "--db", str(db))[1].startswith("aaaa0001  2025-03-01T10:00:00Z  bz/es  assessed  ")


@pytest.mark.parametrize(("argv", "message"), [
    (["aaaa", "--url", "3", "--outcome", "baseline", "--as", "ana"], "report aaaa0001 has 2 URL(s); no URL number 3"),
    (["aaaa", "--url", "1", "--outcome", "baseline", "--hosting", "xx", "--as", "ana"], "ISO 3166-1 alpha-2"),
    (["aaaa", "--url", "1", "--outcome", "baseline", "--removed", "soon", "--as", "ana"], "YYYY-MM-DD"),
    (["zzzz", "--url", "1", "--outcome", "baseline", "--as", "ana"], "no report zzzz"),
    (["aaaa", "--url", "1", "--outcome", "baseline", "--as", "nobody"], "no analyst named nobody"),
    (["aaaa", "--url", "1", "--outcome", "baseline", "--as", "old"], "no enabled analyst named old"),
])
def test_assess_refusals_are_one_clear_line_and_change_nothing(db, capsys, argv, message) -> None:
    before = _entries(db)
    code, out, err = _run(capsys, "inbox", "assess", *argv, "--db", str(db))
    assert (code, out) == (1, "") and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert _entries(db) == before


def test_assess_refuses_words_outside_the_vocabulary_as_usage_errors(db, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["inbox", "assess", "aaaa", "--url", "1", "--outcome", "illegal", "--as", "ana", "--db", str(db)])
    assert exit_.value.code == 2 and "invalid choice: 'illegal'" in capsys.readouterr().err


def test_cli_views_are_audited_as_the_os_user(db, tmp_path, capsys) -> None:
    # WHEN the three views run
    assert _run(capsys, "inbox", "list", "--db", str(db))[0] == 0
    assert _run(capsys, "inbox", "show", "aaaa", "--json", "--db", str(db))[0] == 0
    assert _run(capsys, "inbox", "export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", str(db))[0] == 0
    # THEN each is in the audit log, as the OS user, with ids and formats only
    assert [(e["actor"], e["actor_kind"], e["action"], e["target"], e["detail"]) for e in _entries(db)[-3:]] == [
        (audit.os_user(), "os-user", "list", None, {"format": "text"}),
        (audit.os_user(), "os-user", "show", "aaaa0001", {"format": "json"}),
        (audit.os_user(), "os-user", "export", None, {"format": "csv", "to": "file"})]
    # AND the chain holds, anchored beside the database
    assert _run(capsys, "audit", "verify", "--db", str(db))[0] == 0


def test_views_upgrade_a_database_of_the_shipped_release(tmp_path, capsys) -> None:
    # GIVEN a file of the release before the workbench
    path = tmp_path / "inbox.sqlite"
    import sqlite3

    with sqlite3.connect(path) as con:
        con.executescript((Path(__file__).parent / "fixtures" / "shipped-inbox.sql").read_text(encoding="utf-8"))
    con.close()
    # WHEN it is listed THEN every report is there, new
    code, out, _ = _run(capsys, "inbox", "list", "--json", "--db", str(path))
    assert code == 0 and [(r["report_id"][:8], r["status"]) for r in json.loads(out)] == [
        ("5eed0001", "new"), ("5eed0002", "new"), ("5eed0003", "new"), ("5eed0004", "new")]


@pytest.mark.parametrize("argv", [
    ["inbox", "list"], ["inbox", "show", "aaaa"], ["inbox", "export", "--format", "csv"],
    ["inbox", "assess", "aaaa", "--url", "1", "--outcome", "baseline", "--as", "ana"],
    ["analysts", "list"], ["analysts", "disable", "ana"], ["audit", "verify"], ["audit", "head"],
])
def test_a_file_that_is_not_a_database_is_one_clear_line(tmp_path, capsys, argv) -> None:
    # GIVEN a file at the database's path that is not SQLite
    path = tmp_path / "inbox.sqlite"
    path.write_bytes(b"not a database\x00" * 100)
    # WHEN any command opens it THEN one line says which file and why, exit 1, no traceback
    code, out, err = _run(capsys, *argv, "--db", str(path))
    assert (code, out) == (1, "")
    assert err.startswith("error: cannot ") and str(path) in err and "file is not a database" in err
    assert err.count("\n") == 1
