"""Crash safety: the drain process is SIGKILLed at random points and restarted; at the end
every report is stored exactly once and the queue is empty (DESIGN.md, "Queue and inbox")."""
from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time

from tests.support import ROOT, make_report, queue_counts, send_bodies, stored_count, wait_until

REPORTS = 1000
KILLS = 8
VISIBILITY_SECONDS = 2  # short, so messages in flight at a kill come back quickly
# `reportal inbox drain` that SIGKILLs itself right after one of its commits (drawn at random,
# seeded by argv[1]): those messages are stored but not deleted, and must not be stored twice.
_KILL_AFTER_COMMIT = """
import os, random, signal, sys
from reportal.inbox import store
from reportal.cli import main
rng, commit = random.Random(int(sys.argv[1])), store.Store.add_many
def add_many(self, reports):
    added = commit(self, reports)
    if added.new and rng.random() < 0.2:
        sys.stderr.write(f"killed after commit: {len(added.new)}\\n")
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return added
store.Store.add_many = add_many
sys.exit(main(sys.argv[2:]))
"""


def test_sigkill_at_random_points_loses_nothing_and_stores_nothing_twice(
        moto_endpoint, identity_file, recipients, tmp_path) -> None:
    import boto3

    from reportal.envelope import seal

    # GIVEN 1,000 sealed reports on a queue served by a moto server
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="eu-west-2")
    queue_url = sqs.create_queue(QueueName="crash", Attributes={
        "VisibilityTimeout": str(VISIBILITY_SECONDS)})["QueueUrl"]
    reports = [make_report(i) for i in range(REPORTS)]
    started = time.monotonic()
    send_bodies(sqs, queue_url, [seal(r, recipients) for r in reports])
    sent_seconds = time.monotonic() - started
    db = tmp_path / "inbox.sqlite"
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint}
    drain = [sys.executable, "-m", "reportal.cli", "inbox", "drain", "--queue-url", queue_url,
             "--identity", str(identity_file), "--db", str(db), "--wait", "1"]
    seed = int(os.environ.get("REPORTAL_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)

    # WHEN the drain is killed with SIGKILL at random points while it works, and restarted:
    # odd rounds from outside at a random moment after its first commit; even rounds by
    # itself right after a random commit, before its DeleteMessageBatch (a window a timer
    # from outside almost never hits, as the delete follows the commit within microseconds)
    at_kill: list[int] = []
    after_commit: list[int] = []
    for round_ in range(KILLS):
        before = stored_count(db)
        if before >= REPORTS:
            break
        suicidal = [sys.executable, "-c", _KILL_AFTER_COMMIT, str(rng.randrange(1 << 30)), *drain[3:]]
        argv = drain if round_ % 2 else suicidal
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if round_ % 2:
            wait_until(lambda: stored_count(db) > before or proc.poll() is not None, 30, "a commit to kill after")
            time.sleep(rng.uniform(0.0, 0.5))  # the kill's random moment (not synchronisation)
            proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, err.decode(errors="replace")
        if not round_ % 2:
            after_commit.append(int(re.search(rb"killed after commit: (\d+)", err).group(1)))
        at_kill.append(stored_count(db))
    killed_seconds = time.monotonic() - started - sent_seconds

    # ... then drained to the end with --once until the queue holds nothing
    already, runs = 0, 0
    deadline = time.monotonic() + 120
    while queue_counts(sqs, queue_url) != (0, 0):
        assert time.monotonic() < deadline, f"queue not empty: {queue_counts(sqs, queue_url)} (seed {seed})"
        done = subprocess.run(drain + ["--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        already += int(re.search(r"already stored (\d+)", done.stdout).group(1))
        runs += 1
        # messages a killed run had received come back once their visibility timeout ends
        wait_until(lambda: queue_counts(sqs, queue_url)[0] > 0 or queue_counts(sqs, queue_url) == (0, 0),
                   VISIBILITY_SECONDS * 10, f"in-flight messages to become visible again (seed {seed})")
    total_seconds = time.monotonic() - started

    # THEN every report is stored exactly once, the database is sound, the queue is empty
    partial = [n for n in at_kill if 0 < n < REPORTS]
    assert len(partial) >= 3, f"kills did not land mid-drain: {at_kill} (seed {seed})"
    assert len(after_commit) >= 3 and min(after_commit) > 0  # stored, never deleted by that process...
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        ids = [row[0] for row in con.execute("SELECT report_id FROM reports")]
        assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert len(ids) == REPORTS
    assert sorted(ids) == sorted(r["report_id"] for r in reports), f"seed {seed}"
    assert queue_counts(sqs, queue_url) == (0, 0)  # ...so a later run recognized and deleted them
    print(f"\ncrash figures: seed {seed}; {REPORTS} reports sealed+sent in {sent_seconds:.1f} s; "
          f"{len(at_kill)} SIGKILLs at stored counts {at_kill} ({len(after_commit)} right after a commit of "
          f"{after_commit} report(s), before the delete) over {killed_seconds:.1f} s; "
          f"{runs} --once run(s) after; {already} redelivered report(s) recognized as already stored; "
          f"total {total_seconds:.1f} s")
