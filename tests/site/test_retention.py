"""Retention periods: stated once in sites/_defaults.yaml, shortened (never lengthened) by a
portal, and shown on every privacy page in the page's language."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportal.site.build import Paths, build
from reportal.site.catalogs import load_translations
from reportal.site.config import load_config
from tests.support import RETENTION_DEFAULTS as DEFAULTS
from tests.support import ROOT, problems_for

PORTAL = "code: bz\nlanguages: [en, es]\n"


def test_the_real_defaults_state_both_periods() -> None:
    # GIVEN the shipped sites/, WHEN loaded, THEN every portal has the periods _defaults.yaml states
    portals = load_config(ROOT / "sites").portals
    assert {(p.retention.email_days, p.retention.report_days) for p in portals} == {(90, 730)}
    assert "email_days: 90" in (ROOT / "sites" / "_defaults.yaml").read_text()


def test_a_portal_may_shorten_a_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a portal keeping emails 7 days under defaults of 30, WHEN loaded, THEN it keeps 7 and the default 365
    assert problems_for(tmp_path, monkeypatch, PORTAL + "retention:\n  email_days: 7\n", defaults=DEFAULTS) == []
    [portal] = load_config(Path("sites")).portals
    assert (portal.retention.email_days, portal.retention.report_days) == (7, 365)


def test_a_portal_may_not_lengthen_a_period(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a portal asking for longer than the hotline promises, WHEN loaded, THEN refused at its line
    found = problems_for(tmp_path, monkeypatch, PORTAL + "retention:\n  email_days: 30\n  report_days: 400\n",
                         defaults=DEFAULTS)
    assert found == ["sites/bz.yaml:5: retention.report_days: 400 days is longer than the 365 days "
                     "sites/_defaults.yaml promises; a portal may only shorten it"]


def test_an_email_never_outlives_its_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN reports kept 10 days but emails 30, WHEN loaded, THEN refused at the line of email_days
    found = problems_for(tmp_path, monkeypatch, PORTAL + "retention:\n  report_days: 10\n", defaults=DEFAULTS)
    assert found == ["sites/_defaults.yaml:6: retention.email_days: 30 days is longer than report_days (10); "
                     "an email is never kept longer than its report"]


@pytest.mark.parametrize(("value", "message"), [
    ("0", "Input should be greater than or equal to 1"),
    ('"30"', "Input should be a valid integer"),
    ("yes", "Input should be a valid integer"),
])
def test_a_period_is_a_whole_number_of_days(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             value: str, message: str) -> None:
    found = problems_for(tmp_path, monkeypatch, PORTAL + f"retention:\n  email_days: {value}\n", defaults=DEFAULTS)
    assert found and found[0].startswith("sites/bz.yaml:4: retention.email_days: ")
    assert message in found[0]


def test_privacy_page_states_the_periods_in_each_language(tmp_path: Path) -> None:
    # GIVEN a portal in English and Spanish that shortens email retention to 14 days
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "_defaults.yaml").write_text(DEFAULTS)
    (sites / "bz.yaml").write_text(PORTAL + "retention:\n  email_days: 14\n")
    # WHEN built
    build(Paths(sites, ROOT / "templates", ROOT / "translations"), tmp_path / "dist", tmp_path / "fn")
    # THEN each privacy page says both periods in its own language
    en = (tmp_path / "dist/bz/en/privacy/index.html").read_text()
    es = (tmp_path / "dist/bz/es/privacy/index.html").read_text()
    assert "Your email address is deleted 14 days after your report arrives." in en
    assert "Your report is deleted 365 days after it arrives." in en
    spanish = load_translations(ROOT / "translations", "es")
    email = spanish.ngettext("Your email address is deleted %(count)s day after your report arrives.",
                             "Your email address is deleted %(count)s days after your report arrives.", 14)
    report = spanish.ngettext("Your report is deleted %(count)s day after it arrives.",
                              "Your report is deleted %(count)s days after it arrives.", 365)
    assert "14" not in email and (email % {"count": 14}) in es and "días" in email
    assert (report % {"count": 365}) in es


def test_loaded_config_carries_the_defaults_retention_validated(tmp_path: Path) -> None:
    from reportal.site.config import DEFAULT_RETENTION, ConfigError, load_config

    # GIVEN defaults that keep emails 20 days and one portal that keeps reports 100
    sites = tmp_path / "sites"
    sites.mkdir()
    head = "base_url: https://report.example.org\nhotline:\n  name: H\n  url: https://h.example.org/\n"
    (sites / "_defaults.yaml").write_text(head + "retention:\n  email_days: 20\n")
    (sites / "bz.yaml").write_text("code: bz\nlanguages: [en]\nretention:\n  report_days: 100\n")
    # WHEN it loads THEN the defaults' periods are the config's, the portal's its own
    loaded = load_config(sites)
    assert (loaded.retention.email_days, loaded.retention.report_days) == (20, DEFAULT_RETENTION.report_days)
    assert (loaded.portals[0].retention.email_days, loaded.portals[0].retention.report_days) == (20, 100)
    # AND a bad defaults period is one located problem, said once however many portals there are
    (sites / "gy.yaml").write_text("code: gy\nlanguages: [en]\n")
    (sites / "_defaults.yaml").write_text(head + "retention:\n  email_days: many\n")
    with pytest.raises(ConfigError) as caught:
        load_config(sites)
    located = [str(p) for p in caught.value.problems if p.key == "retention.email_days"]
    assert len(located) == 1 and located[0].startswith(f"{sites / '_defaults.yaml'}:6: retention.email_days: ")
