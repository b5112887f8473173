"""Helpers for the browser proofs: list the built pages, run axe-core, measure a page's
transfer size as the CDN would send it, and find a report in the preview's inbox."""
from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path
from typing import Any

import brotli

from tests.support import wait_until

__all__ = ["AXE_TAGS", "BUDGET_BYTES", "compressed_sizes", "headers_bytes", "inbox_report", "page_paths",
           "run_axe"]

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, as axe-core tags its rules.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# One round trip: TCP's initial congestion window of 10 segments (RFC 6928) carries about
# 14 KB; every page with its stylesheet and images must fit, compressed, headers included.
BUDGET_BYTES = 14_000

_AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


def page_paths(dist: Path) -> list[str]:
    """The URL path of every HTML file under `dist/` (`bz/en/index.html` → `/bz/en/`), sorted."""
    paths = []
    for file in sorted(dist.rglob("*.html")):
        rel = file.relative_to(dist).as_posix()
        paths.append("/" + rel.removesuffix("index.html"))
    return paths


def run_axe(page: Any, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations on the loaded `page`: [{id, impact, help, nodes}].
    The bundle is evaluated through the DevTools protocol, so the page's CSP does not apply."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    return page.evaluate(_AXE_RUN, AXE_TAGS)


def compressed_sizes(body: bytes) -> tuple[int, int]:
    """(gzip, brotli) sizes in bytes of `body`, at the levels a CDN uses on the fly (gzip 6,
    brotli 5; CloudFront picks brotli when the browser offers it)."""
    return len(gzip.compress(body, compresslevel=6, mtime=0)), len(brotli.compress(body, quality=5))


def headers_bytes(status_line: str, headers: dict[str, str]) -> int:
    """Bytes of an HTTP/1.1 response head: status line, `name: value` lines, blank line."""
    return len(status_line) + 2 + sum(len(k) + 2 + len(v) + 2 for k, v in headers.items()) + 2


def inbox_report(root: Path, marker: str, timeout: float = 20.0) -> dict[str, Any]:
    """The stored report whose notes contain `marker`, read from `root/var/inbox.sqlite`,
    waiting up to `timeout` seconds for the preview's drain thread. Fails the test if none
    arrives; raises `AssertionError` if more than one carries the marker."""
    db_path = root / "var" / "inbox.sqlite"

    def rows() -> list[tuple]:
        if not db_path.exists():
            return []
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT portal, lang, urls, kind, notes, referrer, email FROM reports"
                              " WHERE instr(notes, ?) > 0", (marker,)).fetchall()
        finally:
            db.close()

    found = wait_until(rows, timeout, f"a report with {marker!r} in the inbox", interval=0.2)
    assert len(found) == 1, f"{len(found)} reports carry {marker!r}"
    portal, lang, urls, kind, notes, referrer, email = found[0]
    return {"portal": portal, "lang": lang, "urls": json.loads(urls), "kind": kind,
            "notes": notes, "referrer": referrer, "email": email}


# Lighthouse: tests/browser/lighthouse.mjs drives npm `lighthouse` (package.json) in one Debian
# Chromium, page after page (mobile, simulated throttling, fresh storage for each page).
LIGHTHOUSE_JS = Path(__file__).resolve().parent / "lighthouse.mjs"
LIGHTHOUSE_CATEGORIES = ["accessibility", "best-practices", "seo"]  # gated by tests at 0.95
LIGHTHOUSE_MIN = 0.95


def lighthouse_paths(portals: list[Any]) -> list[str]:
    """One report page and one thanks page per portal: the report page in the portal's last
    language (Urdu on /pk/), the thanks page in its default language, so that together they
    cover more languages and scripts. `portals`: `reportal.site.config.Portal`s."""
    from reportal.site.pages import page_href, portal_languages

    paths = []
    for portal in sorted(portals, key=lambda p: p.code):
        tags = portal_languages(portal)
        paths += [page_href(portal.code, tags[-1], "report"), page_href(portal.code, tags[0], "thanks")]
    return paths


def run_lighthouse(base: str, paths: list[str], categories: list[str], timeout: float = 900) -> list[dict[str, Any]]:
    """Lighthouse on `base` + each path, in order: [{"url", "scores": {category: 0..1}, "failing":
    [{"id", "title", "score"}], "metrics": {...}, "warnings", "error"}]. Raises
    `subprocess.CalledProcessError` (with Node's stderr) if the runner fails."""
    import subprocess

    from reportal.screenshots import CHROMIUM, CHROMIUM_ARGS

    spec = {"chromium": str(CHROMIUM), "flags": CHROMIUM_ARGS, "categories": categories,
            "urls": [base + path for path in paths]}
    run = subprocess.run(["node", str(LIGHTHOUSE_JS)], input=json.dumps(spec), capture_output=True, text=True,
                         timeout=timeout, check=True, cwd=LIGHTHOUSE_JS.parent)
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
