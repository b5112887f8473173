"""`reportal inbox backup` / `restore`: a consistent copy while the drain writes, sealed with
age to the config's recipients and the inbox's own identities, never plaintext on disk."""
from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from reportal import audit
from reportal.cli import main
from reportal.envelope import generate_identity
from reportal.inbox.backup import prune
from reportal.inbox.store import Store
from tests.support import ROOT, make_report


@pytest.fixture
def escrow(tmp_path: Path) -> tuple[Path, Path]:
    """(a checkout root whose sites/_defaults.yaml seals to an escrow key, that escrow identity)."""
    key = tmp_path / "escrow.key"
    recipient = generate_identity(key)
    root = tmp_path / "root"
    shutil.copytree(ROOT / "tests" / "fixtures" / "sites", root / "sites")
    defaults = yaml.safe_load((root / "sites" / "_defaults.yaml").read_text())
    defaults["recipients"] = [recipient]
    defaults["retention"] = {"email_days": 30, "report_days": 365}
    (root / "sites" / "_defaults.yaml").write_text(yaml.safe_dump(defaults))
    return root, key


def _rows(db_path: Path) -> dict[str, dict]:
    with Store(db_path, readonly=True) as store:
        return {r["report_id"]: r for r in store.list()}


def test_backup_while_the_drain_writes_then_restore_gives_the_same_reports(
        tmp_path: Path, escrow: tuple[Path, Path], identity_file: Path, capsys: pytest.CaptureFixture) -> None:
    root, escrow_key = escrow
    db = tmp_path / "var" / "inbox.sqlite"
    with Store(db) as store:
        store.add_many([make_report(i) for i in range(200)])
    # GIVEN a writer storing batches the whole time (as the drain does)
    stop, two_batches = threading.Event(), threading.Event()

    def write() -> None:
        with Store(db) as writer:
            batch = 0
            while not stop.is_set():
                writer.add_many([make_report(1000 + batch * 20 + i) for i in range(20)])
                batch += 1
                if batch == 2:
                    two_batches.set()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert two_batches.wait(30)
        # WHEN a backup is taken mid-stream
        out = tmp_path / "backups" / "inbox.sqlite.age"
        out.parent.mkdir()
        code = main(["--root", str(root), "inbox", "backup", "--out", str(out), "--db", str(db),
                     "--identity", str(identity_file)])
    finally:
        stop.set()
        thread.join()
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    # THEN the file is an age file, mode 0600, alone in its folder, with no plaintext in it
    sealed = out.read_bytes()
    assert sealed.startswith(b"age-encryption.org/v1\n")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and list(out.parent.iterdir()) == [out]
    for needle in (b"SQLite format 3", b"example.com", b"report 1", b"CREATE TABLE"):
        assert needle not in sealed
    # AND restored with the inbox's own identity it holds a consistent prefix, each report as stored
    restored = tmp_path / "restored" / "inbox.sqlite"
    assert main(["inbox", "restore", str(out), "--identity", str(identity_file), "--db", str(restored)]) == 0
    copy, live = _rows(restored), _rows(db)
    assert len(copy) >= 240 and f": {len(copy)} report(s)," in printed
    assert all(copy[rid] == live[rid] for rid in copy)
    order = [r[0] for r in sqlite3.connect(db).execute("SELECT report_id FROM reports ORDER BY rowid")]
    assert set(order[:len(copy)]) == set(copy)  # committed batches only, none half
    assert stat.S_IMODE(restored.stat().st_mode) == 0o600
    # AND the escrow key from config opens it too
    again = tmp_path / "escrow-restored.sqlite"
    assert main(["inbox", "restore", str(out), "--identity", str(escrow_key), "--db", str(again)]) == 0
    assert _rows(again) == copy
    # AND the live audit log recorded the backup with the copy's head, which the restored chain holds
    with sqlite3.connect(db) as live_db:
        (entry,) = audit.entries(live_db, action="backup")
    assert entry["actor_kind"] == "os-user" and entry["detail"]["reports"] == len(copy)
    assert f"audit head {entry['detail']['head']}" in printed
    assert audit.verify(sqlite3.connect(restored), head=entry["detail"]["head"]) is None


def test_the_age_cli_opens_a_backup(tmp_path: Path, escrow: tuple[Path, Path], identity_file: Path) -> None:
    if shutil.which("age") is None:
        pytest.skip("the age CLI is not installed (make system-deps installs it)")
    root, escrow_key = escrow
    db = tmp_path / "inbox.sqlite"
    with Store(db) as store:
        store.add_many([make_report(i) for i in range(3)])
    out = tmp_path / "b.age"
    assert main(["--root", str(root), "inbox", "backup", "--out", str(out), "--db", str(db),
                 "--identity", str(identity_file)]) == 0
    opened = subprocess.run(["age", "-d", "-i", str(escrow_key), str(out)], capture_output=True, check=True).stdout
    assert opened.startswith(b"SQLite format 3\x00")


def test_series_backups_older_than_keep_days_are_removed(tmp_path: Path, escrow: tuple[Path, Path],
                                                         identity_file: Path, capsys: pytest.CaptureFixture) -> None:
    root, _ = escrow
    db = tmp_path / "inbox.sqlite"
    Store(db).close()
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime.now(timezone.utc)
    old = folder / f"inbox-{(now - timedelta(days=8)):%Y%m%dT%H%M%SZ}.sqlite.age"
    recent = folder / f"inbox-{(now - timedelta(days=6)):%Y%m%dT%H%M%SZ}.sqlite.age"
    other = folder / "notes-20000101T000000Z.txt"
    for path in (old, recent, other):
        path.write_bytes(b"x")
    # WHEN a {time} series backup runs with --keep-days 7
    assert main(["--root", str(root), "inbox", "backup", "--out", str(folder / "inbox-{time}.sqlite.age"),
                 "--db", str(db), "--identity", str(identity_file), "--keep-days", "7"]) == 0
    # THEN the 8-day-old backup is gone, the rest stays, and a new one is there
    left = sorted(p.name for p in folder.iterdir())
    assert old.name not in left and recent.name in left and other.name in left and len(left) == 3
    assert f"removed {old} (older than 7 days)" in capsys.readouterr().out


def test_keep_days_may_not_outlast_the_retention_period(tmp_path: Path, escrow: tuple[Path, Path],
                                                        identity_file: Path, capsys: pytest.CaptureFixture) -> None:
    root, _ = escrow
    assert main(["--root", str(root), "inbox", "backup", "--out", str(tmp_path / "b-{time}.age"),
                 "--db", str(tmp_path / "x.sqlite"), "--identity", str(identity_file), "--keep-days", "31"]) == 2
    assert "--keep-days 31 is longer than the shortest retention period (30 days)" in capsys.readouterr().err


def test_default_keep_days_is_the_shortest_retention(tmp_path: Path) -> None:
    folder = tmp_path / "b"
    folder.mkdir()
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    (folder / "inbox-20261030T000000Z.age").write_bytes(b"x")  # 32 days old
    (folder / "inbox-20261102T000000Z.age").write_bytes(b"x")  # 29 days old
    assert prune(str(folder / "inbox-{time}.age"), timedelta(days=30), now) == [folder / "inbox-20261030T000000Z.age"]


def test_restore_refuses_to_overwrite_and_names_a_wrong_key(tmp_path: Path, escrow: tuple[Path, Path],
                                                            identity_file: Path, capsys: pytest.CaptureFixture) -> None:
    root, _ = escrow
    db = tmp_path / "inbox.sqlite"
    Store(db).close()
    out = tmp_path / "b.age"
    assert main(["--root", str(root), "inbox", "backup", "--out", str(out), "--db", str(db),
                 "--identity", str(identity_file)]) == 0
    capsys.readouterr()
    assert main(["inbox", "restore", str(out), "--identity", str(identity_file), "--db", str(db)]) == 1
    assert f"{db} exists; restore to a new path" in capsys.readouterr().err
    stranger = tmp_path / "stranger.key"
    generate_identity(stranger)
    drill = tmp_path / "drill" / "new.sqlite"
    assert main(["inbox", "restore", str(out), "--identity", str(stranger), "--db", str(drill)]) == 1
    assert "none of the identities given opens it" in capsys.readouterr().err
    assert not drill.exists()


def test_restore_beside_a_newer_anchor_keeps_it_aside_and_the_restored_database_verifies(
        tmp_path: Path, escrow: tuple[Path, Path], identity_file: Path, capsys: pytest.CaptureFixture) -> None:
    root, _ = escrow
    db = tmp_path / "var" / "inbox.sqlite"
    # GIVEN a database with one audit entry, backed up (the `backup` entry goes to the live log), then changed further
    with Store(db) as store:
        store.add_many([make_report(i) for i in range(3)])
        store.record("tester", "list")
    out = tmp_path / "b.age"
    assert main(["--root", str(root), "inbox", "backup", "--out", str(out), "--db", str(db),
                 "--identity", str(identity_file)]) == 0
    with Store(db) as store:
        for _ in range(4):
            store.record("tester", "list")
    anchor = db.with_name("audit-head.log")
    newer = anchor.read_text()
    # WHEN the database is lost and the backup restored to its place (the anchor file still beside it)
    db.unlink()
    capsys.readouterr()
    assert main(["inbox", "restore", str(out), "--identity", str(identity_file), "--db", str(db)]) == 0
    printed = capsys.readouterr().out
    # THEN the old anchor is kept, unchanged, under a name the answer gives, and compared with the restored chain
    kept = [p for p in db.parent.iterdir() if p.name.startswith("audit-head.log.before-restore-")]
    assert len(kept) == 1 and kept[0].read_text() == newer
    assert f"kept as {kept[0]} (not deleted)" in printed
    assert "agrees with the restored chain on its 1 entry and holds 5 made after the backup" in printed
    # AND `reportal audit verify` finds the restored database whole against its fresh anchor
    assert main(["audit", "verify", "--db", str(db)]) == 0, capsys.readouterr().err
    # AND the restore entry names where the old anchor went
    with sqlite3.connect(db) as conn:
        detail = conn.execute("SELECT detail FROM audit WHERE action = 'restore'").fetchone()[0]
    assert kept[0].name in detail


def test_restore_refuses_a_folder_whose_audit_anchor_belongs_to_another_database(
        tmp_path: Path, escrow: tuple[Path, Path], identity_file: Path, capsys: pytest.CaptureFixture) -> None:
    root, _ = escrow
    db = tmp_path / "inbox.sqlite"
    with Store(db) as store:
        store.add_many([make_report(i) for i in range(3)])
    out = tmp_path / "b.age"
    assert main(["--root", str(root), "inbox", "backup", "--out", str(out), "--db", str(db),
                 "--identity", str(identity_file)]) == 0
    anchor = (tmp_path / "audit-head.log").read_bytes()
    capsys.readouterr()
    # GIVEN the live database's audit-head.log in its folder
    # WHEN a backup is restored beside it, under another name
    beside = tmp_path / "restored.sqlite"
    assert main(["inbox", "restore", str(out), "--identity", str(identity_file), "--db", str(beside)]) == 1
    # THEN it is refused, saying why and what to do, and the live anchor is untouched
    assert (f"{tmp_path} holds the database inbox.sqlite, whose audit anchor is {tmp_path / 'audit-head.log'}; "
            "restore into a folder of its own") in capsys.readouterr().err
    assert not beside.exists() and (tmp_path / "audit-head.log").read_bytes() == anchor
    # AND restored into a folder of its own, its chain and its own anchor file agree
    drill = tmp_path / "drill" / "inbox.sqlite"
    assert main(["inbox", "restore", str(out), "--identity", str(identity_file), "--db", str(drill)]) == 0
    assert audit.verify(sqlite3.connect(drill), anchor_file=drill.with_name("audit-head.log")) is None
