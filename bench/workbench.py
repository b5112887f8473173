"""Workbench figures: server time of the queue page and of a report page with N reports stored
(100,000 in full mode), median and p99, against the 100 ms p99 budget (DESIGN.md).

A fresh inbox is filled through `Store.add_many` (batches of 2,000; 1–3 URLs a report over
about 400 hosts, received over a year, one report in ten a duplicate of an earlier one), and
one report in fifty is assessed through `Store.assess` so the queue holds every status. The app
is `create_app` over that file with its real password hashing; an analyst logs in through the
login form with a TOTP code. Each sample is one request through Flask's test client, timed
around the call (the server's whole work: session lookup, gate, query, audit entry where the
page writes one, rendering; no network). Queue samples cycle through the first page, filtered
pages (status, portal, host, search) and the page after it; report samples open reports
picked at random (fixed seed). Every sample must answer 200. Apart, not in the budget: a search
that matches nothing, which reads every report's URLs (a substring search has no index).
"""
from __future__ import annotations

import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench.machine import median, percentile

__all__ = ["measure_workbench"]

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


def _fill(db: Path, count: int) -> list[str]:
    """Store `count` reports and assess one in fifty; return the ids of the groups' first reports."""
    from reportal.inbox.store import Store

    reports = _reports(count)
    with Store(db) as store:
        store.db.execute("PRAGMA synchronous=OFF")  # filling is not measured
        for start in range(0, count, 2000):
            store.add_many(reports[start:start + 2000])
        firsts = [r[0] for r in store.db.execute("SELECT report_id FROM reports WHERE duplicate_of IS NULL")]
        for n, report_id in enumerate(firsts[::50]):
            store.assess(report_id, 1, outcome="baseline" if n % 2 else "unavailable", hosting_country="de",
                         action="notice-to-host" if n % 2 else "none", analyst="bench")
    return firsts


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
        firsts = _fill(db, reports)
        fill_s = time.perf_counter() - start
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
    }
