"""The performance budgets of DESIGN.md ("Performance budgets"), checked against measured
figures, and the one table `make bench` prints."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bench.weight import BUDGET_BYTES

__all__ = ["Budget", "check_budgets", "format_table"]


@dataclass(frozen=True)
class Budget:
    """One budget: `value` measured, `limit`, `at_least` (True: value ≥ limit; False: ≤)."""

    name: str
    value: float | None
    limit: float
    unit: str
    at_least: bool

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.limit if self.at_least else self.value <= self.limit


def _get(results: dict[str, Any], section: str, key: str) -> float | None:
    value = results.get(section, {}).get(key)
    return value if isinstance(value, (int, float)) else None


def _drain_share(results: dict[str, Any]) -> float | None:
    """Reports/s opened and stored ÷ messages/s merely received and deleted from the same queue."""
    rate, floor = _get(results, "inbox", "reports_per_s"), _get(results, "inbox", "floor_per_s")
    return round(rate / floor, 2) if rate is not None and floor else None


def check_budgets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every budget with its measured value (None if that section failed) and whether it is met.
    The build is judged on wall time against Hugo's in the same alternated runs (a busy machine
    slows both); cold-start figures on CPU time, which a busy shared machine disturbs far less
    than wall time; the inbox spans two processes and is judged on wall time."""
    budgets = [
        Budget("build: full build / Hugo's, whole process (wall)", _get(results, "versus_hugo", "ratio_full"),
               1.0, "×", False),
        Budget("build: unchanged rebuild, whole process (wall)", _get(results, "versus_hugo", "unchanged_ms"),
               100, "ms", False),
        Budget("page weight: largest page + CSS + images, gzip",
               _get(results, "page_weight", "with_assets_gzip_largest"), BUDGET_BYTES, "bytes", False),
        Budget("function: cold init / floor (CPU)", _get(results, "function", "ratio_cpu"), 1.4, "×", False),
        Budget("function: warm CPU per report, p99", _get(results, "function", "warm_cpu_ms_p99"), 2, "ms", False),
        Budget("function: worst attack body ≤ 64 KiB, CPU", _get(results, "attacks", "function_worst_cpu_ms"),
               250, "ms", False),
        Budget("inbox: most expensive hostile envelope, CPU", _get(results, "attacks", "drain_worst_cpu_ms"),
               100, "ms", False),
        Budget("inbox: drain rate / receive-and-delete floor", _drain_share(results), 0.9, "×", True),
        Budget("workbench: queue page server time, p99", _get(results, "workbench", "queue_ms_p99"), 100, "ms", False),
        Budget("workbench: report page server time, p99", _get(results, "workbench", "report_ms_p99"), 100, "ms", False),
        Budget("stats: reportal stats over the seeded inbox, slowest run (CPU)",
               _get(results, "workbench", "stats_cli_cpu_s_max"), 1, "s", False),
    ]
    if "lighthouse" in results:  # full runs only (bench/lighthouse.py)
        budgets.append(Budget("Lighthouse performance, mobile, lowest page", _get(results, "lighthouse", "min_score"),
                              0.95, "score", True))
    return [{**asdict(b), "met": b.met} for b in budgets]


def _n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _rows(r: dict[str, Any]) -> list[tuple[str, ...]]:
    b, w, f, i, wb, a = (r.get(k, {}) for k in ("build", "page_weight", "function", "inbox", "workbench", "attacks"))
    h = r.get("versus_hugo", {})

    def ms(value: Any) -> float | None:
        return value * 1000 if isinstance(value, (int, float)) else None

    def spread(kind: str, scale: Any = None, digits: int = 3) -> str:
        low, high = h.get(f"{kind}_s_min"), h.get(f"{kind}_s_max")
        if scale is not None:
            low, high = scale(low), scale(high)
        return f"{_n(low, digits)}–{_n(high, digits)}"

    rows = [
        ("build", f"full build vs Hugo, {h.get('pages', '?')} pages, whole process, wall",
         f"{_n(h.get('full_s'), 3)} s", f"Hugo {_n(h.get('hugo_full_s'), 3)} s", f"{_n(h.get('ratio_full'), 2)}×",
         f"median of {h.get('pairs', '?')} alternated pairs; min–max {spread('full')} s vs Hugo "
         f"{spread('hugo_full')} s; CPU {_n(h.get('full_cpu_s'), 3)} vs {_n(h.get('hugo_full_cpu_s'), 3)} s; "
         f"same files: {h.get('hugo_identical', '?')}"),
        ("", "unchanged rebuild vs Hugo, whole process, wall", f"{_n(h.get('unchanged_ms'), 1)} ms",
         f"Hugo {_n(ms(h.get('hugo_unchanged_s')), 1)} ms",
         f"{_n(h.get('ratio_unchanged'), 2)}×",
         f"min–max {spread('unchanged', ms, 1)} ms vs Hugo {spread('hugo_unchanged', ms, 1)} ms; "
         f"load average {h.get('load_before', '?')} before, {h.get('load_after', '?')} after the pairs"),
        ("", f"full rebuild in-process, {b.get('pages', '?')} pages, CPU", f"{_n(b.get('full_cpu_s'), 3)} s",
         f"{_n(b.get('floor_cpu_s'), 3)} s", f"{_n(b.get('ratio_cpu'), 2)}×",
         f"{_n(b.get('pages_per_cpu_s'))} pages/s (floor {_n(b.get('floor_pages_per_cpu_s'))})"),
        ("", "full rebuild, wall", f"{_n(b.get('full_s'), 3)} s", f"{_n(b.get('floor_s'), 3)} s",
         f"{_n(b.get('ratio'), 2)}×", f"{_n(b.get('pages_per_s'))} pages/s (floor {_n(b.get('floor_pages_per_s'))})"),
        ("", "floor: Jinja2 render() alone, CPU", f"{_n(b.get('floor_render_cpu_s'), 3)} s", "", "",
         "the rest of the floor: environments, compiling templates, writing"),
        ("", "unchanged rebuild, CPU / wall", f"{_n(b.get('unchanged_cpu_ms'), 1)} ms",
         "", "", f"wall {_n(b.get('unchanged_ms'), 1)} ms, {b.get('unchanged_written', '?')} files written"),
        ("page weight", f"HTML, {w.get('pages', '?')} pages, largest", f"{_n(w.get('raw_largest'))} B",
         "", "", f"gzip {_n(w.get('gzip_largest'))} B, brotli {_n(w.get('brotli_largest'))} B"),
        ("", "HTML, median", f"{_n(w.get('raw_median'))} B", "", "",
         f"gzip {_n(w.get('gzip_median'))} B, brotli {_n(w.get('brotli_median'))} B"),
        ("", "largest page + CSS + images", f"{_n(w.get('with_assets_gzip_largest'))} B gzip", "", "",
         f"brotli {_n(w.get('with_assets_brotli_largest'))} B ({w.get('heaviest_page', '?')})"),
        ("function", "cold import + init, CPU", f"{_n(f.get('cold_cpu_ms'), 1)} ms",
         f"{_n(f.get('floor_cpu_ms'), 1)} ms", f"{_n(f.get('ratio_cpu'), 2)}×",
         f"floor: import boto3 + SQS client; Powertools event_handler import "
         f"{_n(f.get('resolver_import_cpu_ms'), 1)} ms of it"),
        ("", "cold import + init, wall", f"{_n(f.get('cold_ms'), 1)} ms", f"{_n(f.get('floor_ms'), 1)} ms",
         f"{_n(f.get('ratio'), 2)}×", f"median of {f.get('runs', '?')} fresh interpreters each"),
        ("", "warm CPU per report", f"{_n(f.get('warm_cpu_ms_median'), 3)} ms", "", "",
         f"p99 {_n(f.get('warm_cpu_ms_p99'), 3)} ms over {f.get('calls', '?')} calls"),
        ("attacks", f"function: worst of {a.get('function_attacks', '?')} hostile bodies ≤ 64 KiB, CPU",
         f"{_n(a.get('function_worst_cpu_ms'), 1)} ms", f"{_n(a.get('function_normal_cpu_ms'), 2)} ms", "",
         f"floor = a normal report; worst: {a.get('function_worst_attack', '?')}; over the cap (1 MiB): "
         f"{_n(a.get('function_worst_any_cpu_ms'), 1)} ms; largest response {_n(a.get('function_largest_response_bytes'))} B"),
        ("", f"drain: most expensive of {a.get('drain_attacks', '?')} hostile envelopes, CPU",
         f"{_n(a.get('drain_worst_cpu_ms'), 1)} ms", "", "", f"{a.get('drain_worst_attack', '?')}; refused before or "
         "after decryption (bench/attacks.py)"),
        ("inbox", f"drain {_n(i.get('envelopes'))} envelopes", f"{_n(i.get('reports_per_s'))} reports/s",
         f"{_n(i.get('floor_per_s'))} msg/s", f"{_n(i.get('ratio'), 2)}×",
         f"{_n(i.get('drain_s'), 2)} s, median of {i.get('rounds', '?')}; floor = receive + delete only"),
        ("", "inbox process CPU per report", f"{_n(i.get('drain_cpu_ms_per_report'), 3)} ms",
         f"{_n(i.get('floor_cpu_ms_per_message'), 3)} ms", "", "the queue host's CPU and fsync waits not included"),
        ("workbench", f"queue page, {_n(wb.get('reports'))} reports", f"{_n(wb.get('queue_ms_median'), 1)} ms", "", "",
         f"p99 {_n(wb.get('queue_ms_p99'), 1)} ms over {wb.get('samples', '?')} requests (first page, filters, search,"
         " page 2); server time, test client"),
        ("", "report page", f"{_n(wb.get('report_ms_median'), 1)} ms", "", "",
         f"p99 {_n(wb.get('report_ms_p99'), 1)} ms over {wb.get('samples', '?')} reports at random (incl. its audit entry)"),
        ("", "queue search matching nothing", f"{_n(wb.get('search_miss_ms_median'), 1)} ms", "", "",
         "median; the trigram index finds no candidate; not in the budget"),
        ("", "store: queue first page / deep page", f"{_n(wb.get('query_queue_first_ms_median'), 2)} ms", "", "",
         f"p99 {_n(wb.get('query_queue_first_ms_p99'), 2)} ms / deep (keyset, 40 pages in) "
         f"{_n(wb.get('query_queue_deep_ms_median'), 2)} ms, p99 {_n(wb.get('query_queue_deep_ms_p99'), 2)} ms"),
        ("", "store: queue by portal / status / host", f"{_n(wb.get('query_queue_portal_ms_median'), 2)} ms", "", "",
         f"p99 {_n(wb.get('query_queue_portal_ms_p99'), 2)} / status {_n(wb.get('query_queue_status_ms_median'), 2)}, "
         f"p99 {_n(wb.get('query_queue_status_ms_p99'), 2)} / host {_n(wb.get('query_queue_host_ms_median'), 2)}, "
         f"p99 {_n(wb.get('query_queue_host_ms_p99'), 2)} ms"),
        ("", "store: queue search (trigram index)", f"{_n(wb.get('query_queue_search_ms_median'), 2)} ms", "", "",
         f"p99 {_n(wb.get('query_queue_search_ms_p99'), 2)} ms; follow-up list "
         f"{_n(wb.get('query_follow_up_ms_median'), 2)} ms, p99 {_n(wb.get('query_follow_up_ms_p99'), 2)} ms"),
        ("", "store: get one report", f"{_n(wb.get('query_get_ms_median'), 3)} ms", "", "",
         f"p99 {_n(wb.get('query_get_ms_p99'), 3)} ms (with status, assessments, duplicates, notes)"),
        ("stats", f"reportal stats --format json, {_n(wb.get('stats_reports'))} reports",
         f"{_n(wb.get('stats_cli_s_median'), 3)} s", "", "",
         f"slowest {_n(wb.get('stats_cli_s_max'), 3)} s wall, {_n(wb.get('stats_cli_cpu_s_max'), 3)} s CPU, whole process;"
         f" compute alone {_n(wb.get('stats_compute_s'), 3)} s;"
         " every report assessed"),
    ]
    lh = r.get("lighthouse")
    if lh:  # one row per page: the score is printed, not gated in tests
        for index, (path, score) in enumerate(lh["scores"].items()):
            rows.append(("lighthouse" if index == 0 else "", f"performance, mobile, {path}", _n(score, 2), "", "",
                         f"total blocking time {_n(lh['tbt_ms'][path])} ms"
                         + (f"; {lh['errors'][path]}" if path in lh.get("errors", {}) else "")
                         + (f"; load average {lh['load_before']} before, {lh['load_after']} after" if index == 0 else "")))
    return rows


def format_table(results: dict[str, Any]) -> str:
    """The figures, then the budgets, as aligned plain text (one table, two parts)."""
    m = results.get("machine", {})
    lines = [f"reportal benchmarks{' (quick mode: figures not comparable)' if results.get('quick') else ''}",
             f"machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gib')} GiB, "
             f"{m.get('implementation')} {m.get('python')}, {m.get('platform')}; "
             f"load average {m.get('load_before')} before, {m.get('load_after')} after", ""]
    header = ("section", "figure", "value", "floor", "ratio", "notes")
    rows = [header] + _rows(results)
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines += ["", "budgets (DESIGN.md)"]
    for budget in results.get("budgets", []):
        sign = "≥" if budget["at_least"] else "≤"
        verdict = {True: "met", False: "MISSED", None: "not measured"}[budget["met"]]
        value = "–" if budget["value"] is None else f"{budget['value']:,}"
        lines.append(f"  {budget['name']:<52} {value:>10} {sign} {budget['limit']:,} {budget['unit']:<9} {verdict}")
    for section, error in sorted(results.get("errors", {}).items()):
        lines.append(f"  error in {section}: {error}")
    return "\n".join(lines)
