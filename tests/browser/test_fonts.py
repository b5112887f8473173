"""The machine has a font for the script of every language a portal uses, so Chromium's pages and
`reportal screenshots` show Urdu, Hindi or Nepali rather than empty boxes (make system-deps
installs fonts-noto-core). fontconfig answers which installed font covers a language."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from reportal.site.config import load_config
from reportal.site.pages import portal_languages
from tests.support import ROOT


def _fonts_for(lang: str) -> list[str]:
    listed = subprocess.run(["fc-list", f":lang={lang}", "family"], capture_output=True, text=True, timeout=60)
    return sorted({line.split(",")[0] for line in listed.stdout.splitlines() if line.strip()})


def test_every_portal_language_has_a_font_for_its_script() -> None:
    if shutil.which("fc-list") is None:
        pytest.fail("fc-list is missing: run `make test` (it installs Chromium and its fontconfig)", pytrace=False)
    # GIVEN every language of every shipped portal (primary subtags: fontconfig knows ur, hi, pt, …)
    languages = sorted({lang.split("-")[0] for portal in load_config(ROOT / "sites").portals
                        for lang in portal_languages(portal)})
    assert {"ur", "hi", "ne", "en"} <= set(languages)
    # WHEN fontconfig is asked which installed fonts cover each
    # THEN every one has at least one, and Urdu is drawn by a Noto Arabic-script font
    assert [lang for lang in languages if not _fonts_for(lang)] == []
    assert any(name.startswith("Noto") for name in _fonts_for("ur"))
