"""``python -m bench [--quick] [--out bench/results.json]``: run every benchmark, print one
table, write the figures as JSON. Exit status 1 if a section failed (budgets missed are
reported, not failed: benchmarks are not tests)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable

from bench.attacks import measure_attacks
from bench.budgets import check_budgets, format_table
from bench.build import measure_build, measure_versus_hugo
from bench.function import measure_cold, measure_warm
from bench.inbox import measure_inbox
from bench.lighthouse import measure_lighthouse
from bench.machine import describe
from bench.weight import measure_weight
from bench.stats import measure_stats
from bench.workbench import measure_workbench

ROOT = Path(__file__).resolve().parents[1]

# Full mode is sized to finish in well under five minutes on a 2-core machine; quick mode only
# proves that everything runs and every key is written (tests/test_bench.py).
SIZES = {
    "full": {"portals": 50, "languages": 4, "build_runs": 3, "hugo_pairs": 7, "cold_runs": 10, "warm_calls": 2000, "envelopes": 5000,
             "inbox_rounds": 3, "workbench_reports": 100_000, "workbench_samples": 300, "stats_runs": 5},
    "quick": {"portals": 3, "languages": 2, "build_runs": 1, "hugo_pairs": 1, "cold_runs": 1, "warm_calls": 50, "envelopes": 30,
              "inbox_rounds": 1, "workbench_reports": 300, "workbench_samples": 20, "stats_runs": 1},
}


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _section(results: dict[str, Any], name: str, measure: Callable[[], dict[str, Any]]) -> None:
    print(f"… {name}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        results[name] = measure()
    except Exception as exc:  # one section failing must not hide the others' figures
        results.setdefault("errors", {})[name] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    results.setdefault("section_seconds", {})[name] = round(time.perf_counter() - start, 1)


def run(quick: bool) -> dict[str, Any]:
    """Every figure, as written to results.json."""
    size = SIZES["quick" if quick else "full"]
    results: dict[str, Any] = {"machine": {**describe(), "load_before": _load()}, "quick": quick}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reportal-bench-") as tmp:
        work = Path(tmp)
        _section(results, "build", lambda: measure_build(
            ROOT, work / "synthetic", size["portals"], size["languages"], size["build_runs"]))
        _section(results, "versus_hugo", lambda: measure_versus_hugo(
            ROOT, work / "versus-hugo", size["portals"], size["languages"], size["hugo_pairs"]))

        def weigh() -> dict[str, Any]:
            from reportal.site.build import Paths, build

            build(Paths.under(ROOT), work / "real" / "dist", work / "real" / "function")
            return measure_weight(work / "real" / "dist")

        _section(results, "page_weight", weigh)
        data_dir = work / "synthetic" / "function"
        if not (data_dir / "site.json").exists():
            data_dir = work / "real" / "function"
        function: dict[str, Any] = {}
        _section(results, "function", lambda: function.update(
            measure_cold(ROOT, data_dir, size["cold_runs"]), **measure_warm(ROOT, data_dir, size["warm_calls"]))
            or function)
        _section(results, "attacks", lambda: measure_attacks(data_dir, 1 if quick else 3))
        _section(results, "inbox", lambda: measure_inbox(ROOT, data_dir, size["envelopes"], size["inbox_rounds"]))
        if not quick:  # minutes of Chromium; quick mode only proves the rest runs
            _section(results, "lighthouse", lambda: measure_lighthouse(ROOT))
        _section(results, "workbench", lambda: measure_workbench(
            size["workbench_reports"], size["workbench_samples"],
            then=lambda db: measure_stats(db, ROOT, size["stats_runs"])))
    results["machine"]["load_after"] = _load()
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["budgets"] = check_budgets(results)
    return results


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the JSON; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that everything runs")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"), help="where to write the figures")
    args = parser.parse_args(argv)
    results = run(args.quick)
    Path(args.out).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(format_table(results))
    print(f"\n{results['elapsed_s']} s; figures in {args.out}")
    return 1 if results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
