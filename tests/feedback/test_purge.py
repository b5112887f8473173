"""`reportal inbox purge`: emails and reports go after the configured periods; statistics stay."""
from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from reportal import audit
from reportal.cli import main
from reportal.inbox.store import Store
from reportal.stats.figures import Period, compute
from tests.support import RETENTION_DEFAULTS as DEFAULTS
from tests.support import ROOT



def _ago(days: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _report(portal: str, days_ago: float, marker: str) -> dict[str, Any]:
    url = f"https://{marker}.example/{marker}-page"
    return {"report_id": uuid.uuid4().hex, "received_at": _ago(days_ago), "portal": portal, "lang": "en",
            "urls": [{"typed": f"{marker}.example/{marker}-page", "normalized": url}], "kind": "video",
            "notes": f"notes-{marker}", "referrer": f"https://ref-{marker}.example/", "email": f"{marker}@mail.example"}


def _root(tmp_path: Path) -> Path:
    """A repository root whose sites/ keep emails 30 days and reports 365; bz shortens reports to 200."""
    root = tmp_path / "root"
    (root / "sites").mkdir(parents=True)
    (root / "sites" / "_defaults.yaml").write_text(DEFAULTS)
    (root / "sites" / "bz.yaml").write_text("code: bz\nlanguages: [en]\nretention:\n  report_days: 200\n")
    shutil.copytree(ROOT / "templates", root / "templates")
    return root


def test_purge_removes_what_was_typed_after_each_period_and_keeps_statistics(tmp_path: Path, capsys) -> None:
    root, db = _root(tmp_path), tmp_path / "inbox.sqlite"
    # GIVEN reports past both periods (bz: 250 days > its 200; zz, not configured: 400 > 365),
    # past the email period only (60 days), and recent ones (2 days)
    old_bz, old_zz = _report("bz", 250, "oldbz"), _report("zz", 400, "oldzz")
    mid, fresh, kept_zz = _report("bz", 60, "midbz"), _report("bz", 2, "freshbz"), _report("zz", 300, "keptzz")
    with Store(db) as store:
        store.add_many([old_bz, old_zz, mid, fresh, kept_zz])
        for r in (old_bz, old_zz, mid):
            store.assess(r["report_id"], 1, outcome="baseline", analyst="ana")
        store.add_note(old_bz["report_id"], "ana", "seen at oldbz.example, host in nl")
        period = Period(_ago(500)[:7], _ago(0)[:7])
        before = compute(store.db, period)
    # WHEN purge runs
    assert main(["--root", str(root), "inbox", "purge", "--db", str(db)]) == 0
    assert capsys.readouterr().out == "purged: 2 email address(es), 2 report(s); statistics kept\n"
    with Store(db) as store:
        # THEN reports past their period keep nothing the reporter typed
        for r in (old_bz, old_zz):
            row = store.db.execute("SELECT urls, url_key, kind, notes, referrer, email, plaintext, purged_at, status,"
                                   " portal, lang, received_at FROM reports WHERE report_id = ?",
                                   (r["report_id"],)).fetchone()
            assert row[:7] == ("[]", "", None, None, None, None, None)
            assert row[7] is not None and row[8:] == ("assessed", r["portal"], "en", r["received_at"])
            for table in ("report_hosts", "url_search", "notes"):
                assert store.db.execute(f"SELECT count(*) FROM {table} WHERE report_id = ?",
                                        (r["report_id"],)).fetchone() == (0,)
        # AND the search index knows no trigram only they had
        store.db.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, url_search, 'row')")
        terms = {t for (t,) in store.db.execute("SELECT term FROM temp.terms")}
        assert {"ldb", "ldz"}.isdisjoint(terms) and {"tzz", "idb"} <= terms  # oldbz, oldzz gone; keptzz, midbz kept
        # AND emails past theirs are gone from the column and the plaintext; the rest is kept
        mid_row = store.db.execute("SELECT email, notes, plaintext FROM reports WHERE report_id = ?",
                                   (mid["report_id"],)).fetchone()
        assert mid_row[:2] == (None, "notes-midbz") and json.loads(mid_row[2])["email"] is None
        assert store.get(kept_zz["report_id"])["email"] is None
        assert store.get(fresh["report_id"])["email"] == "freshbz@mail.example"
        # AND their pending mails are dropped, the fresh one's kept
        assert store.db.execute("SELECT r.email IS NOT NULL, o.state FROM outbox o JOIN reports r USING (report_id)"
                                " WHERE o.state = 'pending'").fetchall() == [(1, "pending")]
        # AND every statistic is unchanged
        assert compute(store.db, period) == before
        # AND one audit entry records the counts, and the chain holds
        last = audit.entries(store.db, limit=1)[0]
        assert (last["action"], last["actor_kind"], last["detail"]) == ("purge", "os-user", {"emails": 2, "reports": 2})
        assert audit.verify(store.db) is None
    # AND the removed text is not left in the database file's free pages or its WAL
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("inbox.sqlite*") if not p.name.endswith(".mailkey"))
    for gone in (b"oldbz", b"oldzz", b"midbz@mail.example", b"keptzz@mail.example"):
        assert gone not in raw
    assert b"freshbz@mail.example" in raw
    # AND a second purge finds nothing more to do
    assert main(["--root", str(root), "inbox", "purge", "--db", str(db)]) == 0
    assert capsys.readouterr().out == "purged: 0 email address(es), 0 report(s); statistics kept\n"


def test_purge_refuses_a_config_that_lengthens_a_period(tmp_path: Path, capsys) -> None:
    root, db = _root(tmp_path), tmp_path / "inbox.sqlite"
    (root / "sites" / "bz.yaml").write_text("code: bz\nlanguages: [en]\nretention:\n  report_days: 900\n")
    with Store(db) as store:
        store.add_many([_report("bz", 500, "oldbz")])
    assert main(["--root", str(root), "inbox", "purge", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "bz.yaml:4: retention.report_days: 900 days is longer than the 365 days" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT notes FROM reports").fetchone() == ("notes-oldbz",)


def test_conflicting_content_loses_its_email_with_the_report_and_goes_with_its_content(tmp_path: Path, capsys) -> None:
    root, db = _root(tmp_path), tmp_path / "inbox.sqlite"
    # GIVEN reports past the email period and past the report period, each with conflicting
    # content (an envelope reusing its id) kept beside it
    mid, old = _report("bz", 60, "midbz"), _report("bz", 250, "oldbz")
    with Store(db) as store:
        store.add_many([mid, old])
        store.add_many([{**mid, "notes": "other", "email": "x@mail.example"},
                        {**old, "notes": "other", "email": "y@mail.example"}])
    # WHEN purge runs
    assert main(["--root", str(root), "inbox", "purge", "--db", str(db)]) == 0
    capsys.readouterr()
    with Store(db) as store:
        # THEN the email is gone from the mid one's conflict, and the old one's conflict is gone
        assert [c["report"]["email"] for c in store.conflicts(mid["report_id"])] == [None]
        assert store.conflicts(old["report_id"]) == []
        assert b"x@mail.example" not in db.read_bytes()


def test_purge_locates_a_bad_defaults_retention_even_without_any_portal(tmp_path: Path, capsys) -> None:
    # GIVEN a _defaults.yaml whose retention is not a number of days, and no portal file
    root, db = _root(tmp_path), tmp_path / "inbox.sqlite"
    (root / "sites" / "bz.yaml").unlink()
    (root / "sites" / "_defaults.yaml").write_text(DEFAULTS.replace("email_days: 30", "email_days: 0"))
    with Store(db) as store:
        store.add_many([_report("zz", 500, "gone")])
    # WHEN the purge runs
    code = main(["--root", str(root), "inbox", "purge", "--db", str(db)])
    # THEN it is the config reader's located problem (as `reportal check` says it), and nothing is purged
    err = capsys.readouterr().err
    assert code == 1
    assert "_defaults.yaml:6: retention.email_days: " in err and "Traceback" not in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT notes FROM reports").fetchone() == ("notes-gone",)
