"""Every page of every portal in every language, in a real browser: accessible (axe-core,
WCAG 2.2 A/AA, light and dark), private (own origin only, no cookie, no CSP violation,
no-referrer header and meta), one round trip (≤ 14 KB compressed with its CSS and images)
and valid HTML (Nu HTML checker).

The crawl visits each page once and records what the browser saw; each test then reads one
property from that record. Pages: every HTML file `reportal build` writes, the function's
400 and 503 answers in every portal language, and a real 404 answer.
"""
from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests.browser.browser_support import BUDGET_BYTES, compressed_sizes, headers_bytes, page_paths, run_axe

_MISSING = "/bz/es/no-such-page/"
_TEXT_TYPES = ("text/", "image/svg+xml", "application/json")
_BAD_FORM = [("url", "javascript:alert(1)"), ("url", "hxxps://example[.]org/ok"), ("notes", "kept ✓"),
             ("email", "not an email"), ("kind", "image")]


def _post(base: str, fields: list[tuple[str, str]]) -> tuple[int, bytes]:
    request = urllib.request.Request(base + "/submit", data=urllib.parse.urlencode(fields).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback preview
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _function_answers(preview: Any, site_root: Path) -> list[tuple[str, int]]:
    """Write the function's 400 (bad URL and email) and 503 (queue gone) pages for every
    portal language under dist/_answers/; return their URL paths with the status they had."""
    import boto3

    from reportal.envelope import recipient_of
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings
    from tests.support import form_event

    site = json.loads((site_root / "build" / "function" / "site.json").read_text(encoding="utf-8"))
    sqs = boto3.client("sqs", endpoint_url=preview.endpoint, region_name="eu-west-2",
                       aws_access_key_id="preview", aws_secret_access_key="preview")
    broken = make_handler(Settings(queue_url=preview.queue_url + "-gone",
                                   recipients=(recipient_of(site_root / "var" / "keys" / "dev.key"),),
                                   data_dir=site_root / "build" / "function"), sqs)
    answers = []
    for code, portal in sorted(site.items()):
        for lang in portal["languages"]:
            hidden = [("portal", code), ("lang", lang)]
            status, body = _post(preview.base, hidden + _BAD_FORM)
            unavailable = broken(form_event(hidden + [("url", "example.org/x"), ("notes", "kept ✓")]), None)
            for name, (got, html) in {"400": (status, body),
                                      "503": (unavailable["statusCode"], _body(unavailable))}.items():
                out = site_root / "dist" / "_answers" / code / lang / f"{name}.html"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(html)
                answers.append((f"/_answers/{code}/{lang}/{name}.html", got))
    return answers


def _body(answer: dict[str, Any]) -> bytes:
    import base64

    body = answer.get("body") or ""
    return base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")


def _visit(page: Any, base: str, path: str, axe_source: str, seen: dict[str, list],
           bodies: dict[str, tuple[int, int, int]]) -> dict:
    """Load `path`; return what the browser saw: status, requests, console, headers, axe.
    `seen` holds the requests and console lines the page's listeners collect."""
    seen["requests"].clear()
    seen["console"].clear()
    answer = page.goto(base + path, wait_until="load")
    requests = list(seen["requests"])
    record: dict[str, Any] = {
        "path": path, "status": answer.status, "headers": answer.all_headers(),
        "urls": [r.url for r in requests], "console": list(seen["console"]),
        "meta_referrer": page.evaluate(
            "() => [...document.querySelectorAll('meta[name=referrer]')].map(m => m.content)"),
        "document_cookie": page.evaluate("document.cookie"),
    }
    weight = [0, 0]
    record["subresources"] = [(r.url.removeprefix(base), r.response().status if r.response() else 0)
                              for r in requests[1:]]
    for request in requests:
        response = request.response()
        if response is None:
            continue
        if request.url not in bodies:
            body = response.body()
            head = headers_bytes(f"HTTP/1.1 {response.status} {response.status_text}", response.headers)
            ctype = response.headers.get("content-type", "")
            gz, br = compressed_sizes(body) if ctype.startswith(_TEXT_TYPES) else (len(body), len(body))
            bodies[request.url] = (head + gz, head + br, len(body))
        weight[0] += bodies[request.url][0]
        weight[1] += bodies[request.url][1]
    record["gzip_bytes"], record["brotli_bytes"] = weight
    record["axe_light"] = run_axe(page, axe_source)
    page.emulate_media(color_scheme="dark")
    record["axe_dark"] = run_axe(page, axe_source)
    page.emulate_media(color_scheme="light")
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})  # WCAG 1.4.10 Reflow: 320 CSS pixels
    record["overflow_320"] = page.evaluate(
        "() => [document.documentElement.scrollWidth - document.documentElement.clientWidth,"
        " [...document.querySelectorAll('main *, header *, footer *')].filter(e => {"
        " const r = e.getBoundingClientRect(); return r.width && (r.right > innerWidth + 1 || r.left < -1)"
        " && !e.matches('.skip, .skip *'); }).map(e => e.tagName.toLowerCase()"
        " + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40))]")
    page.set_viewport_size(size)
    return record


@pytest.fixture(scope="module")
def crawl(preview: Any, site_root: Path, browser: Any, axe_source: str, figures: dict) -> dict[str, Any]:
    """Visit every page once in one context: {"pages": [record…], "cookies": [...], "answers": [...]}."""
    static = page_paths(site_root / "dist")
    answers = _function_answers(preview, site_root)
    expected = {path: 200 for path in static + [path for path, _ in answers]} | {_MISSING: 404}
    context = browser.new_context(color_scheme="light")
    context.add_init_script(axe_source)  # compiled once, cached by V8 across navigations
    page = context.new_page()
    seen: dict[str, list] = {"requests": [], "console": []}
    page.on("request", lambda request: seen["requests"].append(request))
    page.on("console", lambda msg: seen["console"].append(f"{msg.type}: {msg.text}"))
    bodies: dict[str, tuple[int, int, int]] = {}
    records = [_visit(page, preview.base, path, axe_source, seen, bodies) for path in expected]
    cookies = context.cookies()
    context.close()
    figures["pages checked in the browser"] = (
        f"{len(records)} ({len(static)} built pages, {len(answers)} function answers, 1 real 404)")
    return {"pages": records, "expected": expected, "cookies": cookies, "answers": answers,
            "origin": preview.base}


def test_every_page_answers_with_the_expected_status(crawl: dict[str, Any]) -> None:
    # GIVEN every built page, the function's answers (saved, then served) and a missing page
    # THEN the function said 400 to the bad form and 503 with its queue gone, in every language
    answers = dict(crawl["answers"])
    assert answers == {p: 400 if p.endswith("/400.html") else 503 for p in answers}
    assert len(answers) == 2 * sum(1 for p in crawl["expected"] if p.count("/") == 4 and p.endswith("/thanks/"))
    # AND the browser got every page, and the portal's 404 page for the missing one
    got = {r["path"]: r["status"] for r in crawl["pages"]}
    assert got == crawl["expected"] and got[_MISSING] == 404
    assert len(got) > 150


def test_no_accessibility_violation_on_any_page(crawl: dict[str, Any], figures: dict) -> None:
    # WHEN axe-core runs WCAG 2.2 A/AA rules on every page, in light and dark colour schemes
    found = [(r["path"], scheme, v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
             for r in crawl["pages"] for scheme in ("light", "dark") for v in r[f"axe_{scheme}"]]
    figures["axe-core WCAG 2.2 A/AA violations"] = f"{len(found)} (light and dark, {len(crawl['pages'])} pages)"
    # THEN there are none
    assert found == []


def test_every_page_reflows_at_320_css_pixels(crawl: dict[str, Any]) -> None:
    # WCAG 1.4.10: at 320 CSS pixels wide nothing needs scrolling sideways, long URLs included
    wide = [(r["path"], r["overflow_320"]) for r in crawl["pages"] if r["overflow_320"] != [0, []]]
    assert wide == []


def test_no_request_leaves_the_portal_origin(crawl: dict[str, Any]) -> None:
    foreign = [(r["path"], url) for r in crawl["pages"] for url in r["urls"]
               if not url.startswith(crawl["origin"] + "/")]
    assert foreign == []
    assert all(r["urls"] for r in crawl["pages"])  # the crawl did see the requests


def test_no_cookie_is_ever_set(crawl: dict[str, Any]) -> None:
    assert crawl["cookies"] == []
    assert [r["path"] for r in crawl["pages"] if r["document_cookie"]] == []
    assert [r["path"] for r in crawl["pages"] if "set-cookie" in r["headers"]] == []


def _csp_violations(record: dict[str, Any]) -> list[str]:
    return [line for line in record["console"] if "Content Security Policy" in line]


def test_no_csp_violation_and_no_script_error(crawl: dict[str, Any]) -> None:
    # Chromium reports a CSP violation in the console ("Refused to … Content Security Policy").
    assert [(r["path"], _csp_violations(r)) for r in crawl["pages"] if _csp_violations(r)] == []
    # Nothing else may be logged but a page's own 4xx/5xx status ("Failed to load resource");
    # /favicon.ico, which Chromium asks for unseen by Playwright, exists (it logged a 404 before).
    other = [(r["path"], line) for r in crawl["pages"] for line in r["console"]
             if "Failed to load resource" not in line or r["status"] < 400]
    assert other == []


def test_every_stylesheet_and_image_loads(crawl: dict[str, Any]) -> None:
    failed = [(r["path"], url, status) for r in crawl["pages"] for url, status in r["subresources"]
              if status != 200]
    assert failed == []
    assert all(r["subresources"] for r in crawl["pages"])  # every page has its stylesheet


def test_the_checks_would_see_a_violation(preview: Any, site_root: Path, browser: Any, axe_source: str) -> None:
    # GIVEN a probe page breaking the rules: an image without alt, an inline script, a foreign image
    probe = site_root / "dist" / "_probe" / "index.html"
    probe.parent.mkdir(parents=True, exist_ok=True)
    probe.write_text('<!doctype html><html lang="en"><title>probe</title><main><img src="/logo.png">'
                     '<img src="https://example.invalid/pixel.png" alt="x"><script>document.title="ran"</script>'
                     '</main></html>', encoding="utf-8")
    context = browser.new_context()
    page = context.new_page()
    seen: dict[str, list] = {"requests": [], "console": []}
    page.on("request", lambda request: seen["requests"].append(request))
    page.on("console", lambda msg: seen["console"].append(f"{msg.type}: {msg.text}"))
    # WHEN the crawl's visit reads it
    try:
        record = _visit(page, preview.base, "/_probe/", axe_source, seen, {})
    finally:
        context.close()
        probe.unlink()
    # THEN axe, the console and the request log all notice
    assert "image-alt" in {v["id"] for v in record["axe_light"]}
    assert len(_csp_violations(record)) >= 2  # the inline script and the foreign image
    assert record["meta_referrer"] == []
    assert ("/logo.png", 404) in record["subresources"]


def test_referrer_policy_header_and_meta_on_every_page(crawl: dict[str, Any]) -> None:
    assert [r["path"] for r in crawl["pages"] if r["headers"].get("referrer-policy") != "no-referrer"] == []
    assert [r["path"] for r in crawl["pages"] if r["meta_referrer"] != ["no-referrer"]] == []
    assert all("script-src" not in r["headers"]["content-security-policy"] for r in crawl["pages"])


def test_every_page_fits_one_round_trip(crawl: dict[str, Any], figures: dict) -> None:
    # Transferred bytes: response heads plus bodies (HTML, CSS, images), compressed as the CDN would.
    largest = max(crawl["pages"], key=lambda r: r["gzip_bytes"])
    largest_br = max(crawl["pages"], key=lambda r: r["brotli_bytes"])
    figures["largest page (gzip, with CSS and headers)"] = f"{largest['path']} {largest['gzip_bytes']:,} bytes"
    figures["largest page (brotli, with CSS and headers)"] = f"{largest_br['path']} {largest_br['brotli_bytes']:,} bytes"
    built = max((r for r in crawl["pages"] if not r["path"].startswith("/_answers/")), key=lambda r: r["gzip_bytes"])
    figures["largest built page (gzip, with CSS and headers)"] = f"{built['path']} {built['gzip_bytes']:,} bytes"
    figures["page weight budget"] = f"{BUDGET_BYTES:,} bytes"
    over = [(r["path"], r["gzip_bytes"]) for r in crawl["pages"] if r["gzip_bytes"] > BUDGET_BYTES]
    assert over == []
    assert largest["gzip_bytes"] > 1_000  # the measure saw the HTML and the stylesheet


def test_every_page_is_valid_html(crawl: dict[str, Any], site_root: Path, vnu_jar: Path, figures: dict) -> None:
    # GIVEN every HTML file the browser loaded (built pages and the function's answers) and the CSS
    dist = site_root / "dist"
    pages = [r["path"] for r in crawl["pages"] if r["status"] != 404]
    files = [str(dist / (p.lstrip("/") + "index.html" if p.endswith("/") else p.lstrip("/"))) for p in pages]
    files += [str(p) for p in dist.glob("*.css")]
    # WHEN the Nu HTML checker reads them
    run = subprocess.run(["java", "-jar", str(vnu_jar), "--format", "json", "--also-check-css", *files],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    problems = [(m["url"].removeprefix("file:" + str(dist)), m.get("lastLine"), m["type"], m.get("subType"),
                 m["message"]) for m in messages]
    figures["Nu HTML checker"] = f"{len(files)} files, {len(problems)} errors or warnings"
    # THEN it finds no error and no warning
    assert problems == []
    assert len(files) > 150
