"""`reportal screenshots` (`make screenshots`): a picture of each portal's report page at a phone's width.

Partners see what they get before a portal goes live. The pages are built into a temporary
folder and served on 127.0.0.1 (port 0) exactly as the preview serves them; Debian's
Chromium, driven by Playwright, loads each portal's report page in its default language
with JavaScript off and writes `<out>/<cc>.png` plus an index `<out>/README.md`.

The browser launcher here is also what `tests/browser/` uses, so the pictures and the
proofs come from the same browser with the same flags.
"""
from __future__ import annotations

import tempfile
import threading
from contextlib import contextmanager
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "MOBILE", "launch_chromium", "serve_static", "take_screenshots"]

# Debian's package `chromium`; Playwright's own browser downloads cannot be fetched here.
CHROMIUM = Path("/usr/bin/chromium")

# No sandbox (root in CI), no GPU, and none of Chromium's own background traffic (updates,
# sync, field trials), which a closed network refuses and which no portal test may see.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

# A small phone: 360 × 800 CSS pixels, the most common mobile viewport in low-income markets.
MOBILE: dict[str, Any] = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 1,
                          "is_mobile": True, "has_touch": True}


def launch_chromium(playwright: Any, executable: Path = CHROMIUM) -> Any:
    """Launch headless Debian Chromium through a started Playwright (a fresh temporary
    profile each time). Raises `FileNotFoundError` if `executable` is missing
    (install Debian's `chromium`: `make system-deps`)."""
    if not executable.exists():
        raise FileNotFoundError(f"{executable} not found: install Debian's chromium (make system-deps)")
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)


def _no_function(event: dict, context: Any) -> dict:
    return {"statusCode": 503, "headers": {"Content-Type": "text/plain; charset=utf-8"},
            "body": "No submission function in this server."}


@contextmanager
def serve_static(dist: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `dist/` with the CDN's headers (the preview's handler, no function) on a free
    port; yield the base URL, e.g. ``http://127.0.0.1:41234``."""
    from reportal.preview import PreviewHandler

    httpd = ThreadingHTTPServer((host, 0), partial(PreviewHandler, dist=dist, function=_no_function))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _index(shots: list[tuple[str, str, str]]) -> str:
    lines = ["# What each portal looks like", "",
             "Each portal's report page in its default language at a phone's width (360 CSS pixels),",
             "JavaScript off. Made by `make screenshots` (`reportal screenshots`); do not edit by hand.", ""]
    for code, lang, name in shots:
        lines += [f"## {name} (`/{code}/`, {lang})", "", f"![{name}: the report page]({code}.png)", ""]
    return "\n".join(lines)


def take_screenshots(root: Path, out: Path, only: list[str] | None = None) -> list[Path]:
    """Build the portals under `root` (all, or the codes in `only`) in a temporary folder and
    write one full-page PNG per portal to `out/<cc>.png`, plus `out/README.md` listing them.
    Returns the PNG paths. Raises `ConfigError` on bad config, `FileNotFoundError` without
    Chromium, and Playwright's `Error` if a page does not load."""
    from playwright.sync_api import sync_playwright

    from reportal.site.build import Paths, build

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    shots: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="reportal-shots-") as tmp:
        result = build(Paths.under(root), Path(tmp) / "dist", Path(tmp) / "function", only)
        with serve_static(Path(tmp) / "dist") as base, sync_playwright() as pw:
            browser = launch_chromium(pw)
            context = browser.new_context(java_script_enabled=False, **MOBILE)
            page = context.new_page()
            for portal in result.portals:
                lang = portal.default_language
                answer = page.goto(f"{base}/{portal.code}/{lang}/")
                if answer is None or answer.status != 200:
                    raise RuntimeError(f"/{portal.code}/{lang}/ answered {answer.status if answer else 'nothing'}")
                target = out / f"{portal.code}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
                shots.append((portal.code, lang, page.locator("p.brand").inner_text()))
            browser.close()
    (out / "README.md").write_text(_index(shots), encoding="utf-8")
    return written

