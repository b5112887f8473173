"""`launch_unreviewed`: an operator launches a language no native speaker has reviewed yet on
purpose, per portal or for every portal, and `--strict` then passes (docs/translating.md)."""
from __future__ import annotations

from pathlib import Path

import pytest

from reportal.cli import main
from reportal.site.build import Paths, build
from reportal.site.catalogs import check_catalogs
from reportal.site.config import ConfigError
from tests.support import ROOT

DEFAULTS = "base_url: https://report.example.org\nhotline:\n  name: Example Hotline\n  url: https://hotline.example.org/\n"


def _sites(tmp_path: Path, defaults_extra: str = "", sn_extra: str = "", bz_extra: str = "") -> Paths:
    """Two portals sharing Spanish (whose shipped catalog is unreviewed)."""
    sites = tmp_path / "sites"
    sites.mkdir(parents=True)
    (sites / "_defaults.yaml").write_text(DEFAULTS + defaults_extra)
    # Each portal has a police number, so only the review warnings are in play here.
    police = "help:\n  - kind: police\n    phone: \"17\"\n    label: {{{}: Police, es: Policía}}\n"
    (sites / "sn.yaml").write_text(f"code: sn\nlanguages: [fr, es]\n{police.format('fr')}{sn_extra}")
    (sites / "bz.yaml").write_text(f"code: bz\nlanguages: [en, es]\n{police.format('en')}{bz_extra}")
    return Paths(sites, ROOT / "templates", ROOT / "translations")


def _review_warnings(paths: Paths, tmp_path: Path) -> list[str]:
    result = build(paths, tmp_path / "dist", tmp_path / "fn", write=False)
    return [str(w) for w in result.warnings if "not reviewed" in w.message]


def test_unaccepted_unreviewed_catalog_warns_and_says_how_to_accept(tmp_path: Path) -> None:
    # GIVEN no acknowledgement WHEN checked THEN Spanish warns, naming both portal files
    (warning,) = [w for w in _review_warnings(_sites(tmp_path), tmp_path) if ": es:" in w]
    assert warning.endswith("launch it unreviewed on purpose: `launch_unreviewed: [es]` in sites/_defaults.yaml "
                            "or in sites/bz.yaml, sites/sn.yaml")


def test_one_portal_accepting_leaves_the_warning_for_the_other(tmp_path: Path) -> None:
    paths = _sites(tmp_path, sn_extra="launch_unreviewed: [es, fr]\n")
    warnings = _review_warnings(paths, tmp_path)
    (spanish,) = [w for w in warnings if ": es:" in w]
    assert spanish.endswith("or in sites/bz.yaml") and not any(": fr:" in w for w in warnings)


def test_acceptance_in_the_defaults_lets_strict_pass(tmp_path: Path) -> None:
    # GIVEN both languages accepted for every portal WHEN built with --strict THEN it passes
    paths = _sites(tmp_path, defaults_extra="launch_unreviewed: [es, fr]\n")
    result = build(paths, tmp_path / "dist", tmp_path / "fn", strict=True)
    assert result.warnings == [] and (tmp_path / "dist" / "sn" / "es" / "index.html").is_file()
    # AND without it, --strict fails on exactly the review warnings
    with pytest.raises(ConfigError) as caught:
        build(_sites(tmp_path / "b"), tmp_path / "b" / "dist", tmp_path / "b" / "fn", strict=True)
    assert {p.key for p in caught.value.problems} == {"es", "fr"}


def test_accepted_for_every_user_of_the_catalog_means_no_warning() -> None:
    problems = check_catalogs(ROOT / "translations", {"es": ["bz", "sn"]}, {"es": ["sn", "bz"]})
    assert [p for p in problems if "not reviewed" in p.message] == []


def test_a_bad_tag_in_launch_unreviewed_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        build(_sites(tmp_path, sn_extra="launch_unreviewed: [espanol]\n"), tmp_path / "d", tmp_path / "f", write=False)
    assert [p.key for p in caught.value.problems] == ["launch_unreviewed[0]"]


def test_build_strict_passes_on_the_shipped_tree(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # GIVEN the repository's sites/ WHEN `reportal build --strict` runs (docs/deploy.md's first command)
    code = main(["--root", str(ROOT), "build", "--strict", "--out", str(tmp_path / "dist"),
                 "--function-out", str(tmp_path / "fn")])
    # THEN it passes with no warning
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().err == ""
