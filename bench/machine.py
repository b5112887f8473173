"""The machine a benchmark ran on, and the small statistics every section uses."""
from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path
from typing import Sequence

__all__ = ["describe", "median", "percentile"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)  # kB → GiB
    except (OSError, ValueError):
        pass
    return None


def describe() -> dict[str, object]:
    """{"cpu": model name, "cores": logical CPUs usable by this process, "memory_gib",
    "python": version, "implementation", "platform"}."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gib": _memory_gib(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
    }


def median(values: Sequence[float]) -> float:
    """The median of a non-empty sequence (`statistics.median`)."""
    return statistics.median(values)


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct` (0–100) percentile by the nearest-rank method; `values` must not be empty."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil(n × pct / 100), at least 1
    return ordered[int(rank) - 1]
