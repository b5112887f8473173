"""Edge errors in our words (issue 13): what CloudFront shows for a WAF block, a function error
or a timeout is the build's "not received" page, in every language of the portals."""
from __future__ import annotations

import re
from pathlib import Path

from cfnlint.decode import cfn_yaml

from reportal.site.build import NOT_RECEIVED_PAGE
from reportal.site.catalogs import load_translations
from tests.support import ROOT


def _error_responses() -> dict[int, dict]:
    template = cfn_yaml.loads((ROOT / "infra" / "edge.yaml").read_text(encoding="utf-8"), "edge.yaml")
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    return {r["ErrorCode"]: r for r in config["CustomErrorResponses"]}


def test_waf_blocks_function_errors_and_timeouts_show_our_page_uncached() -> None:
    responses = _error_responses()
    for code in (403, 500, 502, 504):
        assert responses[code]["ResponsePagePath"] == f"/{NOT_RECEIVED_PAGE}"
        assert responses[code]["ResponseCode"] == code and responses[code]["ErrorCachingMinTTL"] == 0
    # the function's own localized pages, with what was typed, pass unchanged
    assert 400 not in responses and 503 not in responses
    assert responses[404]["ResponsePagePath"] == "/404.html"


def test_the_page_says_it_in_every_portal_language(built: dict[str, Path]) -> None:
    page = (built["dist"] / NOT_RECEIVED_PAGE).read_text(encoding="utf-8")
    sections = re.findall(r'<section class="alert" lang="([^"]+)" dir="(ltr|rtl)">\n<h[12]>([^<]+)</h[12]>', page)
    # the fixture portals: bz (en, es), eg (ar, en); English first, each language once
    assert [(lang, direction) for lang, direction, _ in sections] == [("en", "ltr"), ("ar", "rtl"), ("es", "ltr")]
    for lang, _, title in sections:
        expected = load_translations(ROOT / "translations", lang).gettext("Your report was not received")
        assert title == expected.replace("’", "’")
    assert sections[2][2] != "Your report was not received"  # translated, not the English msgid
    assert '<a href="/">' in page and "<script" not in page
