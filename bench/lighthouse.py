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
    # A page Lighthouse could not measure (a runtime error such as NO_LCP) has no score: None,
    # counted as the lowest, its error kept.
    scores = {path: r["scores"].get("performance") for path, r in zip(paths, results)}
    tbt = {path: r["metrics"].get("total-blocking-time") for path, r in zip(paths, results)}
    errors = {path: r["error"] for path, r in zip(paths, results) if r.get("error")}
    worst = min(scores, key=lambda p: (-1 if scores[p] is None else scores[p], p))
    measured = [v for v in tbt.values() if v is not None]
    return {"pages": len(scores), "scores": scores, "tbt_ms": {p: None if v is None else round(v) for p, v in tbt.items()},
            "errors": errors, "min_score": scores[worst], "worst_page": worst,
            "tbt_ms_max": round(max(measured)) if measured else None, "load_before": load_before,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg())}
