"""Lighthouse's performance score of the pages `tests/browser/test_lighthouse.py` audits (one
report page and one thanks page per real portal), mobile with simulated throttling, against
the local preview of the real portals, one Chromium, page after page. The score depends on
this machine's speed and load (Lighthouse's simulated 4× CPU slowdown multiplies whatever the
machine's other work stretches), so it is measured here and not gated in tests. Needs Node,
Debian Chromium and tests/browser/node_modules (`make test` installs them)."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["measure_lighthouse"]


def measure_lighthouse(root: Path) -> dict[str, Any]:
    """Performance score (0..1) and total blocking time (ms) of each page; the lowest score and
    which page; the load average before and after. Raises if the preview or Lighthouse fails."""
    from reportal.preview import Preview
    from reportal.site.config import load_config
    from tests.browser.browser_support import lighthouse_paths, run_lighthouse

    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                             "AWS_DEFAULT_REGION")}
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="reportal-lighthouse-") as tmp:
        site = Path(tmp)
        for name in ("sites", "templates", "translations"):
            shutil.copytree(root / name, site / name, ignore=shutil.ignore_patterns("*.mo"))
        preview = Preview(site, port=0)
        base = preview.start()
        try:
            paths = lighthouse_paths(load_config(site / "sites").portals)
            results = run_lighthouse(base, paths, ["performance"])
        finally:
            preview.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    scores = {path: r["scores"]["performance"] for path, r in zip(paths, results)}
    tbt = {path: round(r["metrics"]["total-blocking-time"]) for path, r in zip(paths, results)}
    worst = min(scores, key=lambda p: (scores[p], p))
    return {"pages": len(scores), "scores": scores, "tbt_ms": tbt, "min_score": scores[worst], "worst_page": worst,
            "tbt_ms_max": max(tbt.values()), "load_before": load_before,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg())}
