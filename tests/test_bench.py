"""`python -m bench --quick` runs every benchmark and writes every figure (no timing asserted:
benchmarks are not tests)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


EXPECTED = {
    "machine": {"cpu", "cores", "memory_gib", "python", "implementation", "platform", "load_before", "load_after"},
    "build": {"portals", "languages", "pages", "runs", "full_s", "pages_per_s", "floor_s", "floor_pages_per_s",
              "ratio", "unchanged_ms", "full_cpu_s", "pages_per_cpu_s", "floor_cpu_s", "floor_pages_per_cpu_s",
              "ratio_cpu", "unchanged_cpu_ms", "floor_render_cpu_s", "unchanged_written", "floor_identical"},
    "versus_hugo": {"pages", "pairs", "load_before", "load_after", "hugo_identical", "full_s", "full_s_min",
                    "full_s_max", "full_cpu_s", "hugo_full_s", "hugo_full_s_min", "hugo_full_s_max", "hugo_full_cpu_s",
                    "unchanged_s", "unchanged_s_min", "unchanged_s_max", "hugo_unchanged_s", "ratio_full",
                    "ratio_unchanged", "unchanged_ms"},
    "page_weight": {"pages", "budget_bytes", "raw_largest", "raw_median", "gzip_largest", "gzip_median",
                    "brotli_largest", "brotli_median", "with_assets_gzip_largest", "with_assets_brotli_largest",
                    "heaviest_page", "assets"},
    "function": {"runs", "cold_ms", "floor_ms", "ratio", "cold_cpu_ms", "floor_cpu_ms", "ratio_cpu",
                 "resolver_import_ms", "resolver_import_cpu_ms",
                 "calls", "warm_cpu_ms_median", "warm_cpu_ms_p99", "warm_wall_ms_median"},
    "attacks": {"function_attacks", "drain_attacks", "function_normal_cpu_ms", "function_worst_cpu_ms",
                "function_worst_attack", "function_worst_any_cpu_ms", "function_worst_any_attack",
                "function_largest_response_bytes", "drain_worst_cpu_ms", "drain_worst_attack"},
    "inbox": {"envelopes", "rounds", "drain_s", "reports_per_s", "floor_s", "floor_per_s", "ratio",
              "drain_cpu_ms_per_report", "floor_cpu_ms_per_message"},
    "workbench": {"reports", "samples", "fill_s", "queue_ms_median", "queue_ms_p99", "report_ms_median",
                  "report_ms_p99", "search_miss_ms_median", "stats_reports", "stats_rows", "stats_compute_s",
                  "stats_cli_s_median", "stats_cli_s_max", "stats_cli_cpu_s_max"} | {
                      f"query_{name}_ms_{stat}" for stat in ("median", "p99") for name in (
                      "queue_first", "queue_deep", "queue_portal", "queue_status", "queue_host", "queue_search",
                      "follow_up", "get")},
}


def test_quick_bench_writes_every_figure(tmp_path: Path) -> None:
    # GIVEN the repository WHEN the benchmarks run in quick mode
    out = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "bench", "--quick", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    # THEN every section holds every key, and the figures describe the work asked for
    assert "errors" not in results
    for section, keys in EXPECTED.items():
        assert keys <= set(results[section]), (section, keys - set(results[section]))
    build = results["build"]
    assert (build["portals"], build["languages"], build["pages"]) == (3, 2, 3 * 2 * 5 + 3 * 2 + 2)
    assert build["floor_identical"] is True and build["unchanged_written"] == 0
    assert results["versus_hugo"]["pages"] > build["pages"] and results["versus_hugo"]["hugo_identical"] is True
    assert results["page_weight"]["gzip_largest"] < results["page_weight"]["raw_largest"]
    assert results["inbox"]["envelopes"] == 30
    assert results["workbench"]["reports"] == 300
    assert len(results["budgets"]) == 11 and all(isinstance(b["met"], bool) for b in results["budgets"])
    # AND the table names the machine and every budget
    assert results["machine"]["cpu"] in proc.stdout and proc.stdout.count("budget") >= 1
    assert all(b["name"] in proc.stdout for b in results["budgets"])


def test_budgets_are_the_shared_designs() -> None:
    from bench.budgets import check_budgets

    # GIVEN a cold start at 1.36× its floor and a drain at 1,000 reports/s where the floor is 1,085
    results = {"function": {"ratio_cpu": 1.36}, "inbox": {"reports_per_s": 1000, "floor_per_s": 1085}}
    # WHEN the budgets are judged
    judged = {b["name"]: b for b in check_budgets(results)}
    # THEN cold init is held to 1.4× and the drain to 0.9× of its floor (0.92 here), both met
    cold, drain = judged["function: cold init / floor (CPU)"], judged["inbox: drain rate / receive-and-delete floor"]
    assert (cold["limit"], cold["met"]) == (1.4, True)
    assert (drain["value"], drain["limit"], drain["met"]) == (0.92, 0.9, True)
