"""The audit log: a SHA-256 chain, append-only in the database, anchored in a file; `verify`
names the first broken entry."""
from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest

from reportal import audit
from reportal.inbox.store import Store


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "inbox.sqlite")
    yield s
    s.close()


def _tamper(db: sqlite3.Connection, sql: str, *params: object) -> None:
    """What someone who can write the file can do: drop the triggers, change a row."""
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("DROP TRIGGER audit_no_delete")
    db.execute(sql, params)


def _rewrite_entry_2_and_recompute(db) -> None:
    """Change entry 2's target, then recompute every hash from it on (a chain that holds alone)."""
    _tamper(db, "UPDATE audit SET target = 'other' WHERE seq = 2")
    prev = db.execute("SELECT hash FROM audit WHERE seq = 1").fetchone()[0]
    for row in db.execute("SELECT seq, at, actor, actor_kind, action, target, detail FROM audit"
                          " WHERE seq >= 2 ORDER BY seq").fetchall():
        digest = audit._hash(*row, prev)
        db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, row[0]))
        prev = digest


def test_entries_chain_by_sha256_over_a_canonical_serialization(store) -> None:
    # GIVEN two entries
    first = store.record("alice", "login", "alice")
    second = store.record("alice", "view-report", "r1", {"url": 2, "outcome": "baseline"})
    rows = store.db.execute("SELECT seq, at, actor, actor_kind, action, target, detail, prev_hash, hash"
                            " FROM audit ORDER BY seq").fetchall()
    # THEN each hash is SHA-256 of the JSON array of the entry's fields, chained from 64 zeros
    assert rows[0][7] == "0" * 64 and rows[1][7] == first
    for row in rows:
        canonical = json.dumps(list(row[:8]), ensure_ascii=False, separators=(",", ":"))
        assert hashlib.sha256(canonical.encode()).hexdigest() == row[8]
    assert rows[1][6] == '{"outcome":"baseline","url":2}'
    assert audit.head(store.db) == second
    assert audit.verify(store.db) is None and audit.verify(store.db, head=first) is None


def test_the_database_refuses_to_change_or_delete_an_entry(store) -> None:
    store.record("alice", "login", "alice")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE audit SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM audit")


@pytest.mark.parametrize(("sql", "seq", "reason"), [
    ("UPDATE audit SET actor = 'mallory' WHERE seq = 2", 2, "contents do not match"),
    ("UPDATE audit SET detail = '{\"url\":9}' WHERE seq = 3", 3, "contents do not match"),
    ("DELETE FROM audit WHERE seq = 2", 2, "is missing"),
])
def test_verify_names_the_first_tampered_entry(store, sql, seq, reason) -> None:
    # GIVEN four entries, one then changed or removed behind the triggers' back
    for n in range(4):
        store.record("alice", "view-report", f"r{n}", {"url": 1})
    _tamper(store.db, sql)
    # WHEN the chain is verified THEN the first broken entry is named
    found = audit.verify(store.db)
    assert found is not None and found.seq == seq and reason in found.reason


def test_a_recomputed_chain_is_caught_by_the_head_and_the_anchor_file(store, tmp_path) -> None:
    # GIVEN three entries anchored in the file beside the database, and their head noted
    for n in range(3):
        store.record("alice", "view-report", f"r{n}")
    noted = audit.head(store.db)
    anchor = tmp_path / "audit-head.log"
    assert anchor.read_text().splitlines() == [
        f"{seq} {digest}" for seq, digest in store.db.execute("SELECT seq, hash FROM audit ORDER BY seq")]
    assert anchor.stat().st_mode & 0o777 == 0o600
    # WHEN someone rewrites entry 2 and recomputes every hash after it
    _rewrite_entry_2_and_recompute(store.db)
    # THEN the chain alone holds, but not against the noted head nor the anchor file
    assert audit.verify(store.db) is None
    assert "not in the chain" in str(audit.verify(store.db, head=noted))
    found = audit.verify(store.db, anchor_file=anchor)
    assert found.seq == 2 and "rewritten" in found.reason


def test_entries_cut_off_the_end_are_caught_by_the_anchor_file(store, tmp_path) -> None:
    for n in range(3):
        store.record("alice", "view-report", f"r{n}")
    _tamper(store.db, "DELETE FROM audit WHERE seq = 3")
    assert audit.verify(store.db) is None
    found = audit.verify(store.db, anchor_file=tmp_path / "audit-head.log")
    assert found.seq == 3 and "cut off" in found.reason


def test_a_rolled_back_change_leaves_no_entry_and_the_anchor_catches_up(store, tmp_path) -> None:
    # GIVEN an entry appended inside a transaction that is then rolled back
    with pytest.raises(RuntimeError):
        with audit.transaction(store.db):
            audit.append(store.db, "alice", "assign", "r1")
            raise RuntimeError("the change failed")
    assert audit.head(store.db) == audit.GENESIS
    assert not (tmp_path / "audit-head.log").exists()
    # WHEN an entry is committed without anchoring (a crash before the anchor), then another
    audit.append(store.db, "alice", "login", "alice")
    store.record("alice", "logout", "alice")
    # THEN the anchor file holds both, once each, in order
    assert [line.split()[0] for line in (tmp_path / "audit-head.log").read_text().splitlines()] == ["1", "2"]
    assert audit.verify(store.db, anchor_file=tmp_path / "audit-head.log") is None


def test_an_unwritable_anchor_file_does_not_undo_a_committed_change(store, tmp_path, caplog) -> None:
    # GIVEN a directory where the anchor file should be
    (tmp_path / "audit-head.log").mkdir()
    # WHEN a change is recorded THEN it is committed, and a warning names the file (no content)
    digest = store.record("alice", "view-report", "r1")
    assert audit.head(store.db) == digest
    assert "cannot append to the anchor file" in caplog.text and "audit-head.log" in caplog.text


def test_a_recomputed_chain_does_not_pass_by_removing_or_emptying_the_anchor_file(store, tmp_path) -> None:
    # GIVEN three anchored entries, then entry 2 rewritten and every hash after it recomputed
    for n in range(3):
        store.record("alice", "view-report", f"r{n}")
    anchor = tmp_path / "audit-head.log"
    _rewrite_entry_2_and_recompute(store.db)
    # WHEN the anchor file is emptied, or removed THEN verify still refuses the chain
    anchor.write_text("")
    found = audit.verify(store.db, anchor_file=anchor)
    assert found is not None and found.seq == 0 and "holds no entry but the chain has 3" in found.reason
    anchor.unlink()
    found = audit.verify(store.db, anchor_file=anchor)
    assert found is not None and "is missing but the chain has 3 entries" in found.reason
    # AND an empty log with no anchor file yet holds
    assert audit.verify(_empty_log(tmp_path), anchor_file=tmp_path / "empty" / "audit-head.log") is None


def _empty_log(tmp_path):
    from reportal.inbox.store import Store

    return Store(tmp_path / "empty" / "inbox.sqlite").db
