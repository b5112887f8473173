"""Schema migrations: a file made by the release before the workbench upgrades in place and
keeps every report; steps run once, in order, each in its own transaction."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from reportal.inbox import schema
from reportal.inbox.store import Store

SHIPPED = Path(__file__).parent / "fixtures" / "shipped-inbox.sql"


def _shipped_file(path: Path) -> Path:
    with sqlite3.connect(path) as con:
        con.executescript(SHIPPED.read_text(encoding="utf-8"))
    con.close()
    return path


def _rows(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT report_id, received_at, portal, lang, urls, url_key, kind, notes, referrer, email,"
                           " duplicate_of, stored_at, plaintext FROM reports ORDER BY report_id").fetchall()
    finally:
        con.close()


def test_a_file_of_the_shipped_release_upgrades_and_keeps_every_report(tmp_path) -> None:
    # GIVEN a database written by the release before the workbench (four reports, one a duplicate)
    path = _shipped_file(tmp_path / "inbox.sqlite")
    before = _rows(path)
    assert len(before) == 4
    # WHEN the store opens it
    with Store(path) as store:
        # THEN it is at the latest version, every column of every report is unchanged, …
        assert schema.version(store.db) == schema.latest_version() == len(schema.MIGRATIONS)
        assert _rows(path) == before
        # … and every report is found, whole, with its new workbench fields
        for row in before:
            report = store.get(row[0])
            assert {k: v for k, v in report.items() if k in json.loads(row[12])} == json.loads(row[12])
            assert report["duplicate_of"] == row[10]
            assert (report["status"], report["assessments"], report["assigned_to"]) == ("new", [], None)
        assert store.get("5eed0001000000000000000000000000")["duplicates"] == ["5eed0002000000000000000000000000"]
        assert store.get("5eed0003000000000000000000000000")["notes"] == "ملاحظات \u202e\x1b[31m"
        # hosts were filled in for the queue's filter
        assert store.db.execute("SELECT host, report_id FROM report_hosts ORDER BY host, report_id").fetchall() == [
            ("a.example", "5eed0001000000000000000000000000"), ("a.example", "5eed0002000000000000000000000000"),
            ("b.example", "5eed0001000000000000000000000000"), ("b.example", "5eed0002000000000000000000000000"),
            ("c.example", "5eed0003000000000000000000000000"), ("d.example", "5eed0004000000000000000000000000")]


def test_step_1_is_a_no_op_on_the_shipped_schema(tmp_path) -> None:
    # GIVEN the shipped file at user_version 0
    path = _shipped_file(tmp_path / "inbox.sqlite")
    con = sqlite3.connect(path, isolation_level=None)
    before = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    # WHEN only step 1 runs
    con.execute("BEGIN")
    schema.MIGRATIONS[0](con)
    con.execute("COMMIT")
    # THEN nothing changed
    assert con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == before
    con.close()


def test_a_fresh_file_and_an_upgraded_one_have_the_same_schema(tmp_path) -> None:
    # GIVEN one new file and one upgraded from the shipped release
    Store(tmp_path / "new.sqlite").close()
    Store(_shipped_file(tmp_path / "old.sqlite")).close()

    def columns(path: Path) -> dict[str, list]:
        con = sqlite3.connect(path)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        shape = {t: [r[1:] for r in con.execute(f"PRAGMA table_info({t})")] for t in tables}
        shape["indexes"] = sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'"))
        con.close()
        return shape

    # THEN tables, columns and indexes agree (the shipped reports table had plaintext added last
    # in some files, so columns are compared as sets of (name, type, notnull, default, pk))
    new, old = columns(tmp_path / "new.sqlite"), columns(tmp_path / "old.sqlite")
    assert new.keys() == old.keys()
    for table in new:
        assert sorted(map(str, new[table])) == sorted(map(str, old[table])), table


def test_each_step_runs_once_and_a_failed_step_is_rolled_back(tmp_path, monkeypatch) -> None:
    # GIVEN a migrated file
    path = tmp_path / "inbox.sqlite"
    Store(path).close()
    con = sqlite3.connect(path, isolation_level=None)
    # WHEN migrate runs again THEN nothing runs
    calls = []
    monkeypatch.setattr(schema, "MIGRATIONS", [lambda db: calls.append(1)] * schema.latest_version())
    assert schema.migrate(con) == schema.latest_version() and calls == []

    # WHEN a new step fails half-way
    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [broken])
    with pytest.raises(sqlite3.OperationalError):
        schema.migrate(con)
    # THEN its table is gone and the version did not move
    assert schema.version(con) == len(schema.MIGRATIONS) - 1
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone() == (0,)
    con.close()


def test_a_file_from_a_newer_release_is_refused(tmp_path) -> None:
    path = tmp_path / "inbox.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as con:
        con.execute(f"PRAGMA user_version = {schema.latest_version() + 1}")
    con.close()
    with pytest.raises(schema.SchemaTooNew, match="upgrade reportal"):
        Store(path)


def test_a_read_only_store_refuses_a_file_it_cannot_migrate(tmp_path) -> None:
    # GIVEN a file of the shipped release WHEN it is opened read-only THEN a clear refusal
    path = _shipped_file(tmp_path / "inbox.sqlite")
    with pytest.raises(schema.SchemaTooOld, match="open it read-write once to upgrade it"):
        Store(path, readonly=True)
    # AND once migrated it opens read-only and reads every report
    Store(path).close()
    with Store(path, readonly=True) as view:
        assert view.count() == 4 and {r["status"] for r in view.list()} == {"new"}
