"""The SQLite store: one transaction per batch, idempotent on report_id, duplicate grouping,
file modes, lookups, and files written by the walking skeleton."""
from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from reportal.inbox.store import AmbiguousId, Store
from tests.support import make_report


@pytest.fixture
def store(tmp_path) -> Store:
    """An empty store with a 24-hour duplicate window."""
    s = Store(tmp_path / "var" / "inbox.sqlite", duplicate_window=timedelta(hours=24))
    yield s
    s.close()


def test_same_url_set_within_the_window_is_grouped_both_kept(store) -> None:
    first = make_report(urls=["https://a.example/1", "https://b.example/2"], received_at="2025-03-01T10:00:00Z")
    again = make_report(urls=["https://b.example/2", "https://a.example/1", "https://a.example/1"],
                        received_at="2025-03-02T09:59:59Z")  # same set, other order, 23:59:59 later
    other = make_report(urls=["https://a.example/1"], received_at="2025-03-01T11:00:00Z")  # a subset: not the same
    late = make_report(urls=["https://a.example/1", "https://b.example/2"], received_at="2025-03-03T09:00:00Z")
    added = store.add_many([first, again, other])
    assert [r["duplicate_of"] for r in added.new] == [None, first["report_id"], None]
    # 48 h after the first but within 24 h of the second: chained to the group's first report
    assert store.add_many([late]).new[0]["duplicate_of"] == first["report_id"]
    far = make_report(urls=["https://a.example/1", "https://b.example/2"], received_at="2025-03-10T10:00:00Z")
    assert store.add_many([far]).new[0]["duplicate_of"] is None
    assert store.count() == 5


def test_an_older_report_arriving_later_joins_the_group(store) -> None:
    newer = make_report(urls=["https://x.example/"], received_at="2025-03-01T12:00:00Z")
    older = make_report(urls=["https://x.example/"], received_at="2025-03-01T08:00:00Z")
    store.add_many([newer])
    assert store.add_many([older]).new[0]["duplicate_of"] == newer["report_id"]


def test_a_report_id_is_stored_once(store) -> None:
    report = make_report()
    added = store.add_many([report, dict(report)])
    assert (len(added.new), added.already) == (1, 1)
    added = store.add_many([report])
    assert (len(added.new), added.already) == (0, 1)
    assert store.count() == 1


def test_a_failing_batch_stores_nothing(store) -> None:
    good = make_report(1)
    broken = make_report(2)
    del broken["urls"]
    with pytest.raises(KeyError):
        store.add_many([good, broken])
    assert store.count() == 0
    store.add_many([good])  # the connection is usable afterwards
    assert store.count() == 1


def test_plaintext_is_kept_whole_and_listed_with_duplicate_of(store) -> None:
    report = make_report(notes="ملاحظات\u202e\x1b[0m", email="a@example.org", future_field={"x": [1]})
    store.add_many([report])
    assert store.list() == [{**report, "duplicate_of": None, "status": "new", "assessments": []}]
    assert list(store.iter_reports()) == store.list()


def test_files_are_private_and_journal_is_wal(tmp_path, store) -> None:
    store.add_many([make_report()])
    var = tmp_path / "var"
    assert var.stat().st_mode & 0o777 == 0o700
    for name in ("inbox.sqlite", "inbox.sqlite-wal", "inbox.sqlite-shm"):
        assert (var / name).stat().st_mode & 0o777 == 0o600, name
    assert store.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store.db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL


def test_get_by_id_or_unique_prefix(store) -> None:
    a, b = make_report(report_id="abcd1234"), make_report(report_id="abcd5678")
    store.add_many([a, b])
    assert store.get("abcd1234")["report_id"] == "abcd1234"
    assert store.get("abcd5")["report_id"] == "abcd5678"
    assert store.get("abc") is None  # prefixes shorter than 4 characters are not guessed
    assert store.get("zzzz") is None
    assert store.get("ab%_") is None  # LIKE wildcards are literal
    with pytest.raises(AmbiguousId) as caught:
        store.get("abcd")
    assert caught.value.matches == ["abcd1234", "abcd5678"]


def test_readonly_store_cannot_write(tmp_path, store) -> None:
    store.add_many([make_report()])
    view = Store(tmp_path / "var" / "inbox.sqlite", readonly=True)
    try:
        assert view.count() == 1
        with pytest.raises(sqlite3.OperationalError):
            view.add_many([make_report()])
    finally:
        view.close()


def test_a_file_from_the_walking_skeleton_is_upgraded(tmp_path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript("""CREATE TABLE reports (report_id TEXT PRIMARY KEY, received_at TEXT NOT NULL,
            portal TEXT NOT NULL, lang TEXT NOT NULL, urls TEXT NOT NULL, url_key TEXT NOT NULL, kind TEXT,
            notes TEXT, referrer TEXT, email TEXT, duplicate_of TEXT REFERENCES reports(report_id),
            stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')));""")
        con.execute("INSERT INTO reports (report_id, received_at, portal, lang, urls, url_key) VALUES (?,?,?,?,?,?)",
                    ("old1", "2025-01-01T00:00:00Z", "bz", "en",
                     json.dumps([{"typed": "a.example", "normalized": "https://a.example/"}]), '["https://a.example/"]'))
    store = Store(path)
    try:
        new = make_report(urls=["https://a.example/"], received_at="2025-01-01T01:00:00Z")
        assert store.add_many([new]).new[0]["duplicate_of"] == "old1"
        assert store.list()[0] == {"report_id": "old1", "received_at": "2025-01-01T00:00:00Z", "portal": "bz",
                                   "lang": "en", "urls": [{"typed": "a.example", "normalized": "https://a.example/"}],
                                   "kind": None, "notes": None, "referrer": None, "email": None, "duplicate_of": None,
                                   "status": "new", "assessments": []}
    finally:
        store.close()


def test_extreme_dates_group_without_overflow(store) -> None:
    early = [make_report(urls=["https://e.example/"], received_at="0001-01-01T00:00:00Z") for _ in range(2)]
    late = [make_report(urls=["https://l.example/"], received_at="9999-12-31T23:59:59Z") for _ in range(2)]
    added = store.add_many(early + late)
    assert [r["duplicate_of"] for r in added.new] == [None, early[0]["report_id"], None, late[0]["report_id"]]
