"""The workbench's pages through Flask's test client: the queue, one report, taking it,
assessing each URL, notes, the follow-up list, and hostile report content shown inert."""
from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

import pytest

from tests.workbench.support import HOSTILE, Seeded, audit_rows, csrf_of, login


@pytest.fixture
def ana(client: Any, seeded: Seeded) -> Any:
    """The test client with ana (analyst) logged in."""
    assert login(client, seeded, "ana").status_code == 302
    return client


def _token(client: Any, path: str = "/") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def test_the_queue_lists_reports_with_duplicates_grouped(ana: Any, seeded: Seeded) -> None:
    # GIVEN three reports, one a duplicate of another WHEN the queue opens
    html = ana.get("/").get_data(as_text=True)
    # THEN the two first reports are rows, the duplicate is counted under its first report
    rows = re.findall(r'<th scope="row"><a href="/reports/([0-9a-f]+)">', html)
    assert sorted(rows) == sorted([seeded.reports["two"], seeded.reports["hostile"]])
    assert "1 grouped under it" in html
    # AND the view is audited as a list, with no filter values
    assert audit_rows(seeded)[-1][:3] == ("ana", "list", None)


def test_the_queue_filters_by_host_and_search(ana: Any, seeded: Seeded) -> None:
    # GIVEN the queue WHEN filtered by host, by search text, by status and by date
    by_host = ana.get("/?host=other.example").get_data(as_text=True)
    by_text = ana.get("/?q=evil.example").get_data(as_text=True)
    none_new = ana.get("/?status=assessed").get_data(as_text=True)
    by_date = ana.get("/?received_from=2026-12-01").get_data(as_text=True)
    # THEN each shows only what matches
    assert seeded.reports["two"] in by_host and seeded.reports["hostile"] not in by_host
    assert seeded.reports["hostile"] in by_text and seeded.reports["two"] not in by_text
    assert "No report matches these filters." in none_new and "No report matches these filters." in by_date
    # AND the log records that a search was made, not what was searched
    detail = json.loads(audit_rows(seeded)[-3][3])
    assert detail.get("q") is True and "evil" not in audit_rows(seeded)[-3][3]


def test_a_bad_filter_is_a_clear_400(ana: Any) -> None:
    # GIVEN the queue WHEN a date is not a date THEN 400 naming the format
    answer = ana.get("/?received_from=yesterday")
    assert answer.status_code == 400 and "Give the date as YYYY-MM-DD." in answer.get_data(as_text=True)


def test_take_assess_both_urls_and_the_report_is_assessed(ana: Any, seeded: Seeded) -> None:
    report = seeded.reports["two"]
    # GIVEN ana on a new report with two URLs
    page = ana.get(f"/reports/{report}").get_data(as_text=True)
    assert "status-new" in page and page.count('class="url-card"') == 2
    # WHEN she takes it
    token = csrf_of(page)
    assert ana.post(f"/reports/{report}/take", data={"csrf_token": token}).status_code == 302
    assert "Taken by</dt><dd>ana</dd>" in ana.get(f"/reports/{report}").get_data(as_text=True)
    # AND assesses URL 1 (baseline, hosted in Germany, notice sent) and URL 2 (gone)
    first = ana.post(f"/reports/{report}/assess", data={
        "csrf_token": token, "url": "1", "u1-outcome": "baseline", "u1-hosting_country": "de",
        "u1-action": "notice-to-host", "u1-removed_at": ""})
    assert first.status_code == 302
    assert "status-in-progress" in ana.get(f"/reports/{report}").get_data(as_text=True)
    second = ana.post(f"/reports/{report}/assess", data={
        "csrf_token": token, "url": "2", "u2-outcome": "unavailable", "u2-hosting_country": "unknown",
        "u2-action": "none", "u2-removed_at": ""})
    assert second.status_code == 302
    # THEN the report is assessed, on its page and in the queue
    page = ana.get(f"/reports/{report}").get_data(as_text=True)
    assert "status-assessed" in page and "Notice sent to the host" in page
    queue = ana.get("/?status=assessed").get_data(as_text=True)
    assert f'href="/reports/{report}"' in queue
    # AND URL 1 waits in the follow-up list until its removal is confirmed
    assert f"/reports/{report}#url-1" in ana.get("/follow-up").get_data(as_text=True)
    removed = ana.post(f"/reports/{report}/assess", data={
        "csrf_token": token, "url": "1", "u1-outcome": "baseline", "u1-hosting_country": "de",
        "u1-action": "notice-to-host", "u1-removed_at": "2026-11-30 18:30"})
    assert removed.status_code == 302
    assert f"/reports/{report}#url-1" not in ana.get("/follow-up").get_data(as_text=True)
    assert "2026-11-30T18:30:00Z" in ana.get(f"/reports/{report}").get_data(as_text=True)
    # AND every step is in the audit log under ana, with no report content
    actions = [(actor, action, target) for actor, action, target, _ in audit_rows(seeded) if target == report]
    assert ("ana", "view-report", report) in actions and ("ana", "assign", report) in actions
    assert actions.count(("ana", "assess", report)) == 3


def test_an_assessment_outside_the_vocabulary_is_refused(ana: Any, seeded: Seeded) -> None:
    report = seeded.reports["two"]
    token = _token(ana, f"/reports/{report}")
    # WHEN an outcome or a country outside the vocabulary is posted
    bad = ana.post(f"/reports/{report}/assess", data={"csrf_token": token, "url": "1", "u1-outcome": "illegal"})
    country = ana.post(f"/reports/{report}/assess", data={"csrf_token": token, "url": "1",
                                                          "u1-outcome": "baseline", "u1-hosting_country": "xx"})
    missing = ana.post(f"/reports/{report}/assess", data={"csrf_token": token, "url": "3", "u3-outcome": "baseline"})
    # THEN 400 pages that say what was wrong, and nothing is stored
    assert bad.status_code == 400 and "URL 1: this assessment was not saved" in bad.get_data(as_text=True)
    assert country.status_code == 400 and "hosting country" in country.get_data(as_text=True)
    assert missing.status_code == 400 and "no such URL" in missing.get_data(as_text=True)
    db = sqlite3.connect(seeded.db)
    assert db.execute("SELECT count(*) FROM assessments").fetchone() == (0,)


def test_notes_are_added_and_shown_escaped(ana: Any, seeded: Seeded) -> None:
    report = seeded.reports["two"]
    token = _token(ana, f"/reports/{report}")
    # WHEN ana adds a note with markup in it
    answer = ana.post(f"/reports/{report}/notes", data={"csrf_token": token, "text": "Host <b>asked</b>\nline 2"})
    # THEN it is listed under her name, escaped, one line each
    assert answer.status_code == 302
    html = ana.get(f"/reports/{report}").get_data(as_text=True)
    assert "Host &lt;b&gt;asked&lt;/b&gt;</span><span class=\"line\">line 2" in html
    assert ("ana", "note", report, '{"note":1}') in audit_rows(seeded)


def test_a_report_that_does_not_exist_is_404(ana: Any) -> None:
    answer = ana.get("/reports/ffffffffffffffffffffffffffffffff")
    assert answer.status_code == 404 and "<h1>Not found</h1>" in answer.get_data(as_text=True)


def test_hostile_report_content_is_inert(ana: Any, seeded: Seeded) -> None:
    # GIVEN a report whose URL, notes, referrer and email carry markup, script, a bidi override
    # and terminal escapes WHEN its page and the queue are opened
    pages = [ana.get(f"/reports/{seeded.reports['hostile']}").get_data(as_text=True),
             ana.get("/").get_data(as_text=True)]
    for html in pages:
        # THEN no reported markup reaches the page as markup
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg" not in html
        assert "<b>bold</b>" not in html and "<a href=x>" not in html
        # AND invisible and control characters are written out, as the CLI shows them
        assert "\u202e" not in html and "\x1b" not in html and "\u202c" not in html
    report = pages[0]
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in report
    assert "\\x1b[31mred\\x1b[0m" in report and "\\u202eright-to-left\\u202c" in report
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;\\u202egnp.exe" in report
    # AND the URL is text with a copy button, never a link
    assert 'href="https://evil' not in report and "<button type=\"button\" class=\"copy\"" in report


def test_the_report_page_shows_every_reported_field(ana: Any, seeded: Seeded) -> None:
    html = ana.get(f"/reports/{seeded.reports['two']}").get_data(as_text=True)
    for text in ("https://two.example/gallery/1", "https://other.example/album?id=7", "2026-11-30T09:00:00Z",
                 "Second album; a login is needed.", "image", seeded.reports["dup"]):
        assert text in html


def test_a_supervisor_sees_the_published_statistics(client: Any, seeded: Seeded) -> None:
    # GIVEN sam, a supervisor, and three reports received in November 2026 (one portal)
    assert login(client, seeded, "sam").status_code == 302
    # WHEN he opens the statistics for that month
    answer = client.get("/stats?since=2026-11&until=2026-11")
    html = answer.get_data(as_text=True)
    # THEN one row, bz in 2026-11, with the small counts suppressed as partners see them
    assert answer.status_code == 200
    assert re.findall(r'<th scope="row">(\w+)</th><td class="when">([\d-]+)</td><td>([^<]*)</td>', html) == [
        ("bz", "2026-11", "&lt;5")]
    # AND a month that has not ended is a clear 400
    later = client.get("/stats?until=2099-01")
    assert later.status_code == 400 and "has not ended yet" in later.get_data(as_text=True)
    assert json.loads(audit_rows(seeded)[-1][3]) == {"view": "stats", "since": "2026-11", "until": "2026-11"}


def test_a_field_added_to_the_form_is_shown_on_the_report_page(ana: Any, seeded: Seeded,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from reportal import fields
    from reportal.inbox.store import REPORT_FIELDS, Store

    # GIVEN a new optional field declared in reportal/fields.py alone, and a report carrying it
    monkeypatch.setattr(fields, "FIELDS", fields.FIELDS + (fields.Field("platform", "line", max_chars=100),))
    with Store(seeded.db) as store:
        report = {**store.get(seeded.reports["hostile"]), "report_id": "d" * 32, "platform": "<i>Chat</i>\u202e"}
        store.add_many([{k: report[k] for k in (*REPORT_FIELDS, "platform")}])
    # WHEN its page opens THEN the field is there, labelled and escaped
    html = ana.get(f"/reports/{'d' * 32}").get_data(as_text=True)
    assert "<dt>Platform</dt>" in html and "&lt;i&gt;Chat&lt;/i&gt;\\u202e" in html



def test_conflicting_content_under_the_id_is_shown_inert(ana: Any, seeded: Seeded) -> None:
    from reportal.inbox.store import Store

    # GIVEN an envelope that reused the id of a stored report with other, hostile content
    with Store(seeded.db) as store:
        report = store.get(seeded.reports["two"])
        plaintext = {k: report[k] for k in ("report_id", "received_at", "portal", "lang", "urls", "kind", "notes",
                                            "referrer", "email")}
        assert store.add_many([{**plaintext, "notes": "forged <b>x</b>\u202e"}]).conflicts == 1
    # WHEN the report is opened THEN the other content is listed, escaped, apart from the report
    html = ana.get(f"/reports/{seeded.reports['two']}").get_data(as_text=True)
    assert "Other content received under this id (1)" in html
    assert "forged &lt;b&gt;x&lt;/b&gt;\\u202e" in html and "\u202e" not in html


def test_thousands_of_conflicting_contents_make_a_bounded_page(ana: Any, seeded: Seeded) -> None:
    from reportal.inbox.store import Store
    from reportal.workbench.reports import SHOWN_CONFLICTS

    # GIVEN 500 envelopes that reused one report's id, each with other notes of 9,000 characters
    with Store(seeded.db) as store:
        report = store.get(seeded.reports["two"])
        plaintext = {k: report[k] for k in ("report_id", "received_at", "portal", "lang", "urls", "kind", "notes",
                                            "referrer", "email")}
        assert store.add_many([{**plaintext, "notes": f"forged {n} " + "x" * 9000} for n in range(500)]).conflicts == 500
    # WHEN the report is opened THEN the count is given, only the first few are shown, and the page stays small
    answer = ana.get(f"/reports/{seeded.reports['two']}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Other content received under this id (500)" in html
    assert f"The first {SHOWN_CONFLICTS} are shown" in html and f"reportal inbox show {seeded.reports['two']}" in html
    assert "forged 0 " in html and f"forged {SHOWN_CONFLICTS - 1} " in html and f"forged {SHOWN_CONFLICTS} " not in html
    assert len(answer.data) < 200_000
