"""The analysts' work in the store: assessments per URL and the status they give, duplicates
worked as one, assignment, notes, the queue (order, filters, keyset paging) and follow-up."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportal import audit
from reportal.inbox.casework import BadCursor, BadFilter, CaseworkError, QueueFilter, UnknownReport, UnknownUrl
from reportal.inbox.store import Store
from reportal.inbox.vocabulary import VocabularyError
from tests.support import make_report


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "inbox.sqlite", duplicate_window=timedelta(hours=24))
    yield s
    s.close()


def _ids(page) -> list[str]:
    return [item["report_id"] for item in page.items]


def test_status_follows_the_urls_assessed(store) -> None:
    # GIVEN a report with two URLs
    report = make_report(urls=["https://a.example/1", "https://b.example/2"])
    store.add_many([report])
    rid = report["report_id"]
    assert store.get(rid)["status"] == "new"
    # WHEN one URL is assessed THEN it is in progress, with that assessment
    stored = store.assess(rid, 2, outcome="baseline", hosting_country="nl", action="notice-to-host", analyst="alice")
    assert store.get(rid)["status"] == "in-progress"
    assert store.get(rid)["assessments"] == [stored]
    assert stored == {"url": 2, "outcome": "baseline", "hosting_country": "nl", "action": "notice-to-host",
                      "analyst": "alice", "assessed_at": stored["assessed_at"], "removed_at": None}
    # WHEN the other is assessed THEN assessed; re-assessing replaces, the audit keeps both
    store.assess(rid, 1, outcome="not-illegal", analyst="alice")
    store.assess(rid, 1, outcome="unavailable", hosting_country="unknown", analyst="bob")
    got = store.get(rid)
    assert got["status"] == "assessed"
    assert [(a["url"], a["outcome"], a["analyst"]) for a in got["assessments"]] == [
        (1, "unavailable", "bob"), (2, "baseline", "alice")]
    assert [(e["actor"], e["action"], e["target"], e["detail"]["url"], e["detail"]["outcome"])
            for e in reversed(audit.entries(store.db))] == [
        ("alice", "assess", rid, 2, "baseline"), ("alice", "assess", rid, 1, "not-illegal"),
        ("bob", "assess", rid, 1, "unavailable")]
    assert store.list()[0]["status"] == "assessed" and store.list()[0]["assessments"] == got["assessments"]


@pytest.mark.parametrize(("changes", "error", "message"), [
    ({"report_id": "nope"}, UnknownReport, "no report 'nope'"),
    ({"url": 3}, UnknownUrl, "has 2 URL"),
    ({"url": 0}, UnknownUrl, "no URL number 0"),
    ({"url": True}, UnknownUrl, "no URL number True"),
    ({"outcome": "illegal"}, VocabularyError, "outcome must be one of baseline, national"),
    ({"action": "takedown"}, VocabularyError, "action must be one of notice-to-host"),
    ({"hosting_country": "NL"}, VocabularyError, "ISO 3166-1 alpha-2 code in lowercase"),
    ({"hosting_country": "zz"}, VocabularyError, "ISO 3166-1"),
    ({"removed_at": "yesterday"}, CaseworkError, "YYYY-MM-DD"),
    ({"removed_at": "2999-01-01"}, CaseworkError, "in the future"),
    ({"removed_at": "2020-01-01"}, CaseworkError, "before the report was received"),
])
def test_assess_refuses_with_a_clear_message(store, changes, error, message) -> None:
    report = make_report(urls=["https://a.example/1", "https://b.example/2"])
    store.add_many([report])
    arguments = {"report_id": report["report_id"], "url": 1, "outcome": "baseline", "analyst": "alice", **changes}
    with pytest.raises(error, match=message):
        store.assess(arguments.pop("report_id"), arguments.pop("url"), **arguments)
    assert store.get(report["report_id"])["assessments"] == [] and audit.head(store.db) == audit.GENESIS


def test_removal_dates_are_stored_as_utc(store) -> None:
    report = make_report(received_at="2025-03-01T10:00:00Z")
    store.add_many([report])
    rid = report["report_id"]
    assert store.assess(rid, 1, outcome="baseline", removed_at="2025-03-04", analyst="a")["removed_at"] == \
        "2025-03-04T00:00:00Z"
    assert store.assess(rid, 1, outcome="baseline", removed_at="2025-03-04T12:30:00+02:00",
                        analyst="a")["removed_at"] == "2025-03-04T10:30:00Z"


def test_a_group_is_worked_as_one(store) -> None:
    # GIVEN a report and a duplicate of it (same URLs, other order)
    first = make_report(urls=["https://a.example/1", "https://b.example/2"], received_at="2025-03-01T10:00:00Z")
    dup = make_report(urls=["https://b.example/2", "https://a.example/1"], received_at="2025-03-01T11:00:00Z")
    store.add_many([first, dup])
    assert store.get(first["report_id"])["duplicates"] == [dup["report_id"]]
    # WHEN the first report's URL 1 is assessed THEN the duplicate's same URL (its number 2) is too
    store.assess(first["report_id"], 1, outcome="baseline", hosting_country="us", action="notice-to-host",
                 analyst="alice")
    assert [(a["url"], a["outcome"]) for a in store.get(dup["report_id"])["assessments"]] == [(2, "baseline")]
    assert store.get(dup["report_id"])["status"] == "in-progress"
    assert audit.entries(store.db)[0]["detail"]["duplicates"] == 1
    # WHEN another duplicate arrives later THEN it takes the group's assessments
    late = make_report(urls=["https://a.example/1", "https://b.example/2"], received_at="2025-03-01T20:00:00Z")
    store.add_many([late])
    assert [(a["url"], a["outcome"], a["analyst"]) for a in store.get(late["report_id"])["assessments"]] == [
        (1, "baseline", "alice")]
    assert store.get(late["report_id"])["status"] == "in-progress"
    # and the queue shows one row for the group, with its duplicate count
    assert [(i["report_id"], i["duplicate_count"]) for i in store.queue().items] == [(first["report_id"], 2)]


def test_assignment_and_notes_are_kept_and_audited_without_their_text(store) -> None:
    report = make_report()
    store.add_many([report])
    rid = report["report_id"]
    store.assign(rid, "alice")
    note = store.add_note(rid, "alice", "called the host\n\u202egnp.exe")
    got = store.get(rid)
    assert got["assigned_to"] == "alice"
    assert got["analyst_notes"] == [note] and note["text"] == "called the host\n\u202egnp.exe"
    store.assign(rid, None, by="carol")
    assert store.get(rid)["assigned_to"] is None
    entries = [(e["actor"], e["action"], e["detail"]) for e in reversed(audit.entries(store.db))]
    assert entries == [("alice", "assign", {"to": "alice"}), ("alice", "note", {"note": 1}),
                       ("carol", "assign", {"to": None})]
    with pytest.raises(CaseworkError, match="needs some text"):
        store.add_note(rid, "alice", "  ")
    with pytest.raises(UnknownReport):
        store.assign("nope", "alice")


def _seed(store: Store) -> dict[str, dict]:
    reports = {
        "old": make_report(urls=["https://a.example/x"], received_at="2025-01-01T00:00:00Z", portal="bz", lang="es"),
        "mid": make_report(urls=["https://b.example/y", "https://c.example/"], received_at="2025-02-01T00:00:00Z",
                           portal="eg", lang="ar"),
        "new": make_report(urls=["https://a.example/Z_%"], received_at="2025-03-01T00:00:00Z", portal="bz", lang="en"),
        "done": make_report(urls=["https://d.example/"], received_at="2024-12-01T00:00:00Z", portal="bz", lang="es"),
        "half": make_report(urls=["https://e.example/", "https://f.example/"], received_at="2024-11-01T00:00:00Z"),
    }
    store.add_many(reports.values())
    store.assess(reports["done"]["report_id"], 1, outcome="baseline", analyst="a")
    store.assess(reports["half"]["report_id"], 1, outcome="baseline", analyst="a")
    store.assign(reports["mid"]["report_id"], "bob")
    return {name: r["report_id"] for name, r in reports.items()}


def test_queue_order_is_new_then_in_progress_then_assessed_oldest_first(store) -> None:
    ids = _seed(store)
    page = store.queue()
    assert _ids(page) == [ids["old"], ids["mid"], ids["new"], ids["half"], ids["done"]]
    assert page.next is None
    assert page.items[1] == {"report_id": ids["mid"], "received_at": "2025-02-01T00:00:00Z", "portal": "eg",
                             "lang": "ar", "status": "new", "assigned_to": "bob",
                             "urls": ["https://b.example/y", "https://c.example/"], "duplicate_count": 0}


@pytest.mark.parametrize(("filters", "expected"), [
    (QueueFilter(portal="eg"), ["mid"]),
    (QueueFilter(lang="es"), ["old", "half", "done"]),
    (QueueFilter(status="in-progress"), ["half"]),
    (QueueFilter(status="new", portal="bz"), ["old", "new"]),
    (QueueFilter(received_from="2025-01-01", received_to="2025-02-01"), ["old", "mid"]),
    (QueueFilter(received_to="2024-12-31"), ["half", "done"]),
    (QueueFilter(host="a.example"), ["old", "new"]),
    (QueueFilter(host="A.Example."), ["old", "new"]),
    (QueueFilter(host="example"), []),
    (QueueFilter(search="c.exa"), ["mid"]),
    (QueueFilter(search="B.EXAMPLE/Y"), ["mid"]),  # case-insensitive
    (QueueFilter(search="\"a.ex"), []),  # a quote is text, not FTS syntax
    (QueueFilter(search="y OR a"), []),
    (QueueFilter(search="Z_%"), ["new"]),
    (QueueFilter(search="_"), ["new"]),  # LIKE wildcards are literal
    (QueueFilter(assigned_to="bob"), ["mid"]),
])
def test_queue_filters(store, filters, expected) -> None:
    ids = _seed(store)
    assert _ids(store.queue(filters)) == [ids[name] for name in expected]


@pytest.mark.parametrize(("filters", "message"), [
    (QueueFilter(status="open"), "status must be one of new"),
    (QueueFilter(received_from="2025-13-01"), "received from must be a date"),
    (QueueFilter(received_to="01/02/2025"), "received to must be a date"),
    (QueueFilter(search="x" * 201), "search has at most 200 characters"),
    (QueueFilter(search="\x00abc"), "search cannot hold control characters"),
    (QueueFilter(search="abc\ud800"), "search cannot hold control characters"),
    (QueueFilter(host="\ud800"), "host cannot hold control characters"),
    (QueueFilter(portal=7), "portal must be text"),
])
def test_queue_refuses_bad_filters(store, filters, message) -> None:
    with pytest.raises(BadFilter, match=message):
        store.queue(filters)


def test_keyset_paging_visits_every_group_once_in_order(store) -> None:
    # GIVEN 23 reports, some assessed, several received at the same second
    reports = [make_report(n, received_at=f"2025-03-01T10:00:{n // 3:02d}Z") for n in range(23)]
    store.add_many(reports)
    for report in reports[::4]:
        store.assess(report["report_id"], 1, outcome="national", analyst="a")
    everything = _ids(store.queue(limit=500))
    # WHEN walked page by page THEN the same rows, in the same order, each once
    seen, after = [], None
    while True:
        page = store.queue(limit=5, after=after)
        seen += _ids(page)
        if page.next is None:
            break
        after = page.next
    assert seen == everything and len(seen) == 23
    # AND a forged cursor is a clear refusal
    for forged in ("not a cursor", "WzEsMl0", "x" * 1000):
        with pytest.raises(BadCursor, match="not valid"):
            store.queue(after=forged)


def test_follow_up_lists_actioned_urls_not_yet_removed_oldest_first(store) -> None:
    a = make_report(urls=["https://a.example/1", "https://a.example/2"], received_at="2025-01-01T00:00:00Z")
    b = make_report(urls=["https://b.example/"], received_at="2025-01-02T00:00:00Z")
    dup = make_report(urls=["https://b.example/"], received_at="2025-01-02T01:00:00Z")
    store.add_many([a, b, dup])
    store.assess(b["report_id"], 1, outcome="baseline", hosting_country="de", action="forwarded-to-hotline",
                 analyst="bob")
    store.db.execute("UPDATE assessments SET assessed_at = '2025-01-03T00:00:00Z'")  # b's is the oldest
    store.assess(a["report_id"], 2, outcome="baseline", hosting_country="us", action="notice-to-host", analyst="al")
    store.assess(a["report_id"], 1, outcome="not-illegal", action="none", analyst="al")
    follow = store.follow_up()
    assert [(f["report_id"], f["url"], f["normalized"], f["action"], f["hosting_country"], f["analyst"])
            for f in follow] == [
        (b["report_id"], 1, "https://b.example/", "forwarded-to-hotline", "de", "bob"),
        (a["report_id"], 2, "https://a.example/2", "notice-to-host", "us", "al")]
    # WHEN removal is confirmed THEN the URL leaves the list
    store.assess(b["report_id"], 1, outcome="baseline", hosting_country="de", action="forwarded-to-hotline",
                 removed_at="2025-01-05", analyst="bob")
    assert [f["report_id"] for f in store.follow_up()] == [a["report_id"]]


@given(
    reports=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 5), st.sampled_from(["bz", "eg"])),
                     min_size=1, max_size=12),
    steps=st.lists(st.tuples(st.integers(0, 11), st.integers(1, 3), st.sampled_from(["baseline", "not-illegal"])),
                   max_size=15),
    page=st.integers(1, 4))
def test_status_and_paging_hold_for_any_sequence_of_assessments(tmp_path_factory, reports, steps, page) -> None:
    # GIVEN reports of 1-3 URLs (a few received at the same second), assessed in any order
    with Store(tmp_path_factory.mktemp("prop") / "inbox.sqlite") as store:
        made = [make_report(n, urls=[f"https://h{n}.example/{k}" for k in range(count)],
                            received_at=f"2025-03-01T10:00:0{second}Z", portal=portal)
                for n, (count, second, portal) in enumerate(reports)]
        store.add_many(made)
        for index, url, outcome in steps:
            if index < len(made) and url <= len(made[index]["urls"]):
                store.assess(made[index]["report_id"], url, outcome=outcome, analyst="a")
        # THEN each status follows from how many of its URLs are assessed
        expected = {}
        for report in made:
            got = store.get(report["report_id"])
            assessed = len(got["assessments"])
            expected[report["report_id"]] = "new" if assessed == 0 else (
                "assessed" if assessed == len(report["urls"]) else "in-progress")
            assert got["status"] == expected[report["report_id"]]
        # AND paging by any page size visits the order (status rank, received, id) once, per filter
        for filters in (QueueFilter(), QueueFilter(portal="eg"), QueueFilter(status="new")):
            rank = {"new": 0, "in-progress": 1, "assessed": 2}
            wanted = sorted((rank[expected[r["report_id"]]], r["received_at"], r["report_id"]) for r in made
                            if (filters.portal in (None, r["portal"]))
                            and (filters.status in (None, expected[r["report_id"]])))
            seen, after = [], None
            while True:
                result = store.queue(filters, limit=page, after=after)
                assert len(result.items) <= page
                seen += _ids(result)
                if result.next is None:
                    break
                after = result.next
            assert seen == [w[2] for w in wanted]


def test_ids_and_notes_that_are_not_unicode_are_refused_clearly(store) -> None:
    # GIVEN a command-line argument that was not UTF-8 (Python keeps it as lone surrogates)
    report = make_report()
    store.add_many([report])
    bad = b"\xff\xfe\xfd\xfc".decode("utf-8", "surrogateescape")
    # THEN it matches no report, and a note holding it is refused, both without a traceback
    assert store.get(bad) is None
    with pytest.raises(UnknownReport):
        store.assign(bad, "alice")
    with pytest.raises(CaseworkError, match="valid Unicode"):
        store.add_note(report["report_id"], "alice", "ok " + bad)
