"""Build figures: full rebuild pages/s against its floor, and the unchanged rebuild.

Every timed run happens in a fresh interpreter (``python -m bench.build MODE …``) so no cache of
a previous run helps it, as with a real `reportal build`; imports happen before the clock starts.

- full:      `reportal.site.build.build()` into an empty output directory (config loading and
             validation, planning, rendering, function data, safe writes).
- floor:     the same pages rendered and written by a bare Jinja2 loop: one environment per
             language with the same options and catalog, templates compiled once (a shared
             in-memory bytecode cache), `render()`, `write_bytes()`. The page list and the
             catalogs (compiled, as `pybabel compile` would leave them) are ready before its
             clock starts. Its output is checked to be byte-identical to reportal's, so both
             loops do the same work.
- unchanged: `build()` again over an up-to-date output directory.

Against Hugo (`measure_versus_hugo`): the Hugo twin of the same set (bench/hugo.py) and
`reportal build`, each as a whole process (interpreter or binary start-up, imports, reading,
rendering, writing: what a user waits for), alternated A B A B …: full builds into emptied
output folders, then unchanged rebuilds over the finished ones. Wall time, medians and
min–max, with the load average before and after (the machine may be shared).
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.machine import median
from bench.sites import write_sites

__all__ = ["measure_build", "measure_versus_hugo"]


def _cpu() -> float:
    """CPU seconds of this process and of its waited-for children (the build's forked child)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _full(root: Path, sites: Path, out: Path, function_out: Path) -> dict[str, Any]:
    from reportal.site.build import Paths, build

    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(function_out, ignore_errors=True)
    start, cpu = time.perf_counter(), _cpu()
    result = build(Paths.under(root, sites), out, function_out)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"seconds": seconds, "cpu": cpu, "pages": result.pages, "written": result.site.written}


def _unchanged(root: Path, sites: Path, out: Path, function_out: Path) -> dict[str, Any]:
    from reportal.site.build import Paths, build

    start, cpu = time.perf_counter(), _cpu()
    result = build(Paths.under(root, sites), out, function_out)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"seconds": seconds, "cpu": cpu, "pages": result.pages,
            "written": result.site.written + result.function.written}


def _floor(root: Path, sites: Path, out: Path) -> dict[str, Any]:
    from jinja2 import BytecodeCache, Environment, FileSystemLoader, StrictUndefined

    from reportal.site.build import Paths, _css
    from reportal.site.catalogs import load_translations
    from reportal.site.config import load_config
    from reportal.site.pages import plan_pages
    from reportal import fields as report_fields
    from reportal.pages_env import install_translations

    class MemoryCache(BytecodeCache):
        def __init__(self) -> None:
            self.codes: dict[str, bytes] = {}

        def load_bytecode(self, bucket: Any) -> None:
            if bucket.key in self.codes:
                bucket.bytecode_from_string(self.codes[bucket.key])

        def dump_bytecode(self, bucket: Any) -> None:
            self.codes[bucket.key] = bucket.bytecode_to_string()

    paths = Paths.under(root, sites)
    css_path, _ = _css(paths)  # the page list is planned outside the clock
    pages = plan_pages(load_config(sites).portals, css_path)
    languages = sorted({page.lang for page in pages})
    catalogs = {lang: load_translations(paths.translations, lang) for lang in languages}  # as .mo
    shutil.rmtree(out, ignore_errors=True)

    start, cpu = time.perf_counter(), _cpu()
    cache, envs = MemoryCache(), {}
    for lang in languages:
        env = Environment(loader=FileSystemLoader(str(paths.templates)), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          extensions=["jinja2.ext.i18n"], keep_trailing_newline=True,
                          auto_reload=False, bytecode_cache=cache)
        env.policies["ext.i18n.trimmed"] = True
        env.globals["report_fields"] = report_fields.FIELDS  # as reportal.pages_env: the form's fields
        install_translations(env, catalogs[lang])  # the same strings, escaped the same way
        envs[lang] = env
    made: set[Path] = set()
    render_cpu = 0.0
    for page in pages:
        before = time.process_time()
        data = envs[page.lang].get_template(page.template).render(page.context).encode("utf-8")
        render_cpu += time.process_time() - before
        target = out / page.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(data)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"seconds": seconds, "cpu": cpu, "render_cpu": render_cpu, "pages": len(pages)}


def _run(mode: str, root: Path, *args: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "bench.build", mode, str(root), *map(str, args)],
                          cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"bench.build {mode} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _same_pages(floor_out: Path, out: Path) -> bool:
    files = [p for p in floor_out.rglob("*") if p.is_file()]
    return bool(files) and all(
        (out / p.relative_to(floor_out)).read_bytes() == p.read_bytes() for p in files)


def measure_build(root: Path, work: Path, portals: int = 50, languages: int = 4,
                  runs: int = 5) -> dict[str, Any]:
    """Write the synthetic sites under `work`, then time `runs` full rebuilds and floor loops
    (alternating) and max(`runs`, 5) unchanged rebuilds, each in a fresh interpreter.

    Returns seconds (medians), pages/s, the ratio full/floor (1.0 = as fast as the floor),
    the unchanged rebuild in milliseconds, and whether the floor wrote the same bytes."""
    sites, out, fn, floor_out = work / "sites", work / "dist", work / "function", work / "floor"
    write_sites(sites, root / "sites" / "_defaults.yaml", portals, languages)
    _run("full", root, sites, out, fn)  # warm-up: .pyc files, page cache
    full, floor = [], []
    for _ in range(runs):
        full.append(_run("full", root, sites, out, fn))
        floor.append(_run("floor", root, sites, floor_out))
    unchanged = [_run("unchanged", root, sites, out, fn) for _ in range(max(runs, 5))]
    pages = full[0]["pages"]

    def med(runs_: list[dict[str, Any]], key: str) -> float:
        return median([r[key] for r in runs_])

    figures: dict[str, Any] = {"portals": portals, "languages": languages, "pages": pages, "runs": runs}
    for clock, key in (("", "seconds"), ("_cpu", "cpu")):
        full_s, floor_s = med(full, key), med(floor, key)
        figures.update({
            f"full{clock}_s": round(full_s, 4), f"pages_per{clock}_s": round(pages / full_s),
            f"floor{clock}_s": round(floor_s, 4), f"floor_pages_per{clock}_s": round(pages / floor_s),
            f"ratio{clock}": round(full_s / floor_s, 2),
            f"unchanged{clock}_ms": round(med(unchanged, key) * 1000, 1),
        })
    figures["floor_render_cpu_s"] = round(med(floor, "render_cpu"), 4)  # of floor_cpu_s: render() alone
    figures["unchanged_written"] = max(r["written"] for r in unchanged)
    figures["floor_identical"] = floor[0]["pages"] == pages and _same_pages(floor_out, out)
    return figures


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Run `command` to its end: (wall seconds, CPU seconds of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{proc.stderr[-4000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def measure_versus_hugo(root: Path, work: Path, portals: int = 50, languages: int = 4,
                        runs: int = 7) -> dict[str, Any]:
    """`reportal build` and `hugo` on the twin of the same synthetic set, whole processes,
    alternated: `runs` full builds each, then `runs` unchanged rebuilds each (after one warm-up
    of each). Returns seconds (median, min, max) per tool and kind, the ratios reportal ÷ Hugo
    of the medians, the load averages, and whether Hugo wrote the same files as reportal."""
    from bench.hugo import hugo_binary, write_twin
    from reportal.site.state import state_path

    sites, out, fn = work / "sites", work / "dist", work / "function"
    twin, hugo_out = work / "twin", work / "hugo-public"
    write_sites(sites, root / "sites" / "_defaults.yaml", portals, languages)
    pages = write_twin(root, sites, twin)
    script = Path(sys.executable).with_name("reportal")
    start = [str(script)] if script.is_file() else [sys.executable, "-m", "reportal.cli"]
    reportal = start + ["--root", str(root), "build", "--sites", str(sites), "--out", str(out),
                        "--function-out", str(fn)]
    hugo = [str(hugo_binary()), "--source", str(twin), "--destination", str(hugo_out), "--quiet"]

    def fresh(*folders: Path) -> None:
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        state_path(out).unlink(missing_ok=True)

    load_before = _load()
    times: dict[str, list[tuple[float, float]]] = {"full": [], "hugo_full": [], "unchanged": [], "hugo_unchanged": []}
    for _ in range(runs + 1):  # the first pair warms up (page cache, .pyc) and is not counted
        fresh(out, fn)
        full = _timed(reportal, root)
        fresh(hugo_out)
        hugo_full = _timed(hugo, root)
        times["full"].append(full)
        times["hugo_full"].append(hugo_full)
    identical = _tree(out) == _tree(hugo_out)
    for _ in range(runs + 1):
        times["unchanged"].append(_timed(reportal, root))
        times["hugo_unchanged"].append(_timed(hugo, root))
    load_after = _load()
    figures: dict[str, Any] = {"pages": pages, "pairs": runs, "load_before": load_before, "load_after": load_after,
                               "hugo_identical": identical}
    for kind, values in times.items():
        walls, cpus = [w for w, _ in values[1:]], [c for _, c in values[1:]]
        figures.update({f"{kind}_s": round(median(walls), 4), f"{kind}_s_min": round(min(walls), 4),
                        f"{kind}_s_max": round(max(walls), 4), f"{kind}_cpu_s": round(median(cpus), 4)})
    figures["ratio_full"] = round(figures["full_s"] / figures["hugo_full_s"], 2)
    figures["ratio_unchanged"] = round(figures["unchanged_s"] / figures["hugo_unchanged_s"], 2)
    figures["unchanged_ms"] = round(figures["unchanged_s"] * 1000, 1)
    return figures


def main(argv: list[str]) -> int:
    """``python -m bench.build full|unchanged ROOT SITES OUT FUNCTION_OUT`` or
    ``… floor ROOT SITES OUT``: one timed run; prints its figures as one JSON line."""
    mode, root, *rest = argv
    paths = [Path(p) for p in rest]
    runners = {"full": _full, "unchanged": _unchanged, "floor": _floor}
    print(json.dumps(runners[mode](Path(root), *paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
