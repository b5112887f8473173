"""Workbench figures: server time of the queue page and of a report page with N reports stored
(100,000 in full mode), median and p99, against the 100 ms p99 budget (DESIGN.md); and under
them the store's own queries (`Store.queue` first page, deep page, each filter and search;
`Store.follow_up`; `Store.get`), median and p99.

A fresh inbox (made by `Store`, so at the latest schema) is filled by `seed_reports`: direct
SQL inserts in one transaction, as `Store.add_many` would store them (1–3 URLs a report over
about 400 hosts, received over a year, one report in ten a duplicate of the one before), with
one first report in five assessed (URL 1, so one-URL reports are assessed and others in
progress) and one in ten assigned, so the queue holds every status. The app
is `create_app` over that file with its real password hashing; an analyst logs in through the
login form with a TOTP code. Each sample is one request through Flask's test client, timed
around the call (the server's whole work: session lookup, gate, query, audit entry where the
page writes one, rendering; no network). Queue samples cycle through the first page, filtered
pages (status, portal, host, search) and the page after it; report samples open reports
picked at random (fixed seed). Every sample must answer 200. Apart, not in the budget: a search
that matches nothing (the trigram index of schema step 9 answers it without reading reports).
"""
from __future__ import annotations

import json
import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench.machine import median, percentile

__all__ = ["measure_queries", "measure_workbench", "seed_reports"]

_PORTALS = ("bz", "np", "pk", "gt", "ke")
_LANGS = {"bz": ("en", "es"), "np": ("ne", "en"), "pk": ("en", "ur"), "gt": ("es",), "ke": ("en", "sw")}


def _reports(count: int) -> list[dict[str, Any]]:
    rng = random.Random(14)
    made: list[dict[str, Any]] = []
    for i in range(count):
        portal = _PORTALS[i % len(_PORTALS)]
        day, second = divmod(i * 365 * 86400 // max(count, 1), 86400)
        received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_735_689_600 + day * 86400 + second))
        if made and i % 10 == 9:  # a duplicate of the report just before: same URLs, minutes later
            urls = made[-1]["urls"]
        else:
            urls = [{"typed": f"host-{rng.randrange(400)}.example/gallery/{i}/{n}",
                     "normalized": f"https://host-{rng.randrange(400)}.example/gallery/{i}/{n}"}
                    for n in range(1 + i % 3)]
        made.append({"report_id": f"{i:08x}{rng.getrandbits(96):024x}", "received_at": received, "portal": portal,
                     "lang": _LANGS[portal][i % len(_LANGS[portal])], "urls": urls, "kind": "image",
                     "notes": "Third album; a login is needed.", "referrer": None, "email": None})
    return made


def seed_reports(db: Path, reports: list[dict[str, Any]]) -> list[str]:
    """Store `reports` (shaped as `_reports` makes them) in a new inbox `db` by direct SQL in
    one transaction; return the ids of the groups' first reports. Fast: ~100,000 in seconds."""
    from reportal.inbox.schema import search_text, url_hosts
    from reportal.inbox.store import Store, url_key

    rows: dict[str, list[tuple]] = {"reports": [], "hosts": [], "search": [], "assessments": []}
    firsts: list[str] = []
    first_of: dict[str, str] = {}  # url_key -> the group's first report
    for n, r in enumerate(reports):
        key = url_key(r)
        group = first_of.get(key)
        status, assessed = "new", 0
        if group is None:
            first_of[key] = r["report_id"]
            firsts.append(r["report_id"])
            if len(firsts) % 5 == 0:
                assessed = 1
                status = "assessed" if len(r["urls"]) == 1 else "in-progress"
        rows["reports"].append((
            r["report_id"], r["received_at"], r["portal"], r["lang"], json.dumps(r["urls"], ensure_ascii=False), key,
            r["kind"], r["notes"], group, json.dumps(r, ensure_ascii=False, separators=(",", ":")), len(r["urls"]),
            status, ("alice", "bob")[n % 2] if n % 10 == 3 else None))
        rows["hosts"] += [(host, r["report_id"]) for host in url_hosts(r["urls"])]
        rows["search"].append((r["report_id"], search_text(r["urls"])))
        if assessed:
            rows["assessments"].append((r["report_id"], 1, "baseline", "de", "notice-to-host", "bench",
                                        r["received_at"], r["received_at"] if n % 3 else None))
    with Store(db) as store:
        store.db.execute("PRAGMA cache_size = -262144")  # 256 MiB: the indexes stay in memory while filling
        store.db.execute("BEGIN IMMEDIATE")
        store.db.executemany(
            "INSERT INTO reports (report_id, received_at, portal, lang, urls, url_key, kind, notes, duplicate_of,"
            " plaintext, url_count, status, assigned_to) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows["reports"])
        store.db.executemany("INSERT INTO report_hosts (host, report_id) VALUES (?, ?)", rows["hosts"])
        store.db.executemany("INSERT INTO url_search (report_id, urls) VALUES (?, ?)", rows["search"])
        store.db.executemany(
            "INSERT INTO assessments (report_id, url, outcome, hosting_country, action, analyst, assessed_at,"
            " removed_at) VALUES (?,?,?,?,?,?,?,?)", rows["assessments"])
        store.db.execute("COMMIT")
        store.db.execute("ANALYZE")
    return firsts


def _stats(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in milliseconds of samples in seconds."""
    return round(median(samples) * 1000, 3), round(percentile(samples, 99) * 1000, 3)


def measure_queries(db: Path, firsts: list[str], samples: int) -> dict[str, float]:
    """The store's own queries on `db`: `query_<name>_ms_median` / `_p99` over `samples` calls each."""
    from reportal.inbox.casework import QueueFilter
    from reportal.inbox.store import Store

    figures: dict[str, float] = {}
    rng = random.Random(16)
    with Store(db) as store:
        deep, after = None, None
        for _ in range(40):  # a cursor 40 pages (2,000 groups) in
            after = store.queue(limit=50, after=after).next
            if after is None:
                break
            deep = after
        cases = {
            "queue_first": lambda: store.queue(limit=50),
            "queue_deep": lambda: store.queue(limit=50, after=deep),
            "queue_portal": lambda: store.queue(QueueFilter(portal="np"), limit=50),
            "queue_status": lambda: store.queue(QueueFilter(status="assessed"), limit=50),
            "queue_host": lambda: store.queue(QueueFilter(host=f"host-{rng.randrange(400)}.example"), limit=50),
            "queue_search": lambda: store.queue(QueueFilter(search=f"gallery/{rng.randrange(1000)}/"), limit=50),
            "follow_up": lambda: store.follow_up(limit=100),
            "get": lambda: store.get(rng.choice(firsts)),
        }
        for name, call in cases.items():
            call()  # warm
            times = []
            for _ in range(samples):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            figures[f"query_{name}_ms_median"], figures[f"query_{name}_ms_p99"] = _stats(times)
    return figures


def _login(client: Any, db: Path) -> None:
    import pyotp

    from reportal.inbox.store import Store
    from reportal.workbench.accounts import Accounts

    with Store(db) as store:
        secret = pyotp.parse_uri(Accounts(store.db).add("bench", "analyst", "a bench password")).secret
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "bench", "password": "a bench password",
                                         "otp": pyotp.TOTP(secret).now(), "csrf_token": token})
    if answer.status_code != 302:
        raise RuntimeError(f"login refused ({answer.status_code})")


def _time(client: Any, paths: list[str]) -> list[float]:
    samples = []
    for path in paths:
        start = time.perf_counter()
        answer = client.get(path)
        samples.append(time.perf_counter() - start)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
    return samples


def measure_workbench(reports: int, samples: int,
                      then: Callable[[Path], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Queue and report page server times (ms, median and p99) over `samples` requests each,
    with `reports` reports stored; `then(db)` measures more on the same filled inbox afterwards
    (bench/stats.py) and its figures join these."""
    from reportal.inbox.store import Store
    from reportal.workbench.app import WorkbenchSettings, create_app

    with tempfile.TemporaryDirectory(prefix="reportal-bench-workbench-") as tmp:
        db = Path(tmp) / "inbox.sqlite"
        start = time.perf_counter()
        firsts = seed_reports(db, _reports(reports))
        fill_s = time.perf_counter() - start
        queries = measure_queries(db, firsts, samples)
        client = create_app(WorkbenchSettings(), lambda: Store(db)).test_client()
        _login(client, db)
        first = client.get("/").get_data(as_text=True)
        after = re.search(r'href="/\?after=([^"]+)"', first)
        queue_paths = ["/", "/?status=new", "/?portal=np", "/?host=host-7.example", "/?q=gallery/12",
                       "/?status=assessed&portal=bz"] + ([f"/?after={after.group(1)}"] if after else [])
        rng = random.Random(15)
        report_paths = [f"/reports/{rng.choice(firsts)}" for _ in range(samples)]
        _time(client, queue_paths + report_paths[:5])  # warm: templates compiled, caches filled
        queue = _time(client, [queue_paths[i % len(queue_paths)] for i in range(samples)])
        report = _time(client, report_paths)
        miss = _time(client, ["/?q=matches-no-reported-url"] * max(5, samples // 20))
        more = then(db) if then else {}
    return {**more,
        "reports": reports, "samples": samples, "fill_s": round(fill_s, 1),
        "queue_ms_median": round(median(queue) * 1000, 2), "queue_ms_p99": round(percentile(queue, 99) * 1000, 2),
        "report_ms_median": round(median(report) * 1000, 2),
        "report_ms_p99": round(percentile(report, 99) * 1000, 2),
        "search_miss_ms_median": round(median(miss) * 1000, 2),
        **queries,
    }
