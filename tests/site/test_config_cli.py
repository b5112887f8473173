"""`reportal build` / `check` / `--strict` on bad and good portal configs, through the CLI."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reportal.cli import main
from reportal.site.config import load_config
from tests.support import ROOT


DEFAULTS = """\
base_url: https://report.example.org
hotline:
  name: Example Hotline
  url: https://hotline.example.org/
"""
PORTAL = """\
code: bz
languages: [en]
help:
  - kind: emergency
    phone: "911"
    label:
      en: Emergency
"""


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with the SHA-256 of its bytes and its mtime."""
    return {str(p.relative_to(folder)): f"{hashlib.sha256(p.read_bytes()).hexdigest()} {p.stat().st_mtime_ns}"
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path]:
    """A sites/ folder with one valid portal, and where the build writes."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "_defaults.yaml").write_text(DEFAULTS)
    (sites / "bz.yaml").write_text(PORTAL)
    return {"sites": sites, "dist": tmp_path / "dist", "fn": tmp_path / "fn"}


def run(site: dict[str, Path], command: str, *extra: str) -> int:
    args = ["--root", str(ROOT), command, "--sites", str(site["sites"])]
    if command == "build":
        args += ["--out", str(site["dist"]), "--function-out", str(site["fn"])]
    return main(args + list(extra))


def test_three_mistakes_three_messages_exit_1_dist_untouched(site, capsys) -> None:
    # GIVEN a good build in dist/
    assert run(site, "build") == 0
    before = snapshot(site["dist"])
    assert "bz/en/index.html" in before
    # WHEN the portal gets three different mistakes
    (site["sites"] / "bz.yaml").write_text(
        PORTAL.replace("[en]", "[en, spa]").replace('"911"', "911").replace("emergency", "hospital"))
    capsys.readouterr()
    code = run(site, "build")
    # THEN three messages, exit 1, dist/ unchanged
    err = capsys.readouterr().err.splitlines()
    bz = str(site["sites"] / "bz.yaml")
    assert code == 1
    assert err == [
        f"{bz}:2: languages[1]: 'spa' is not a BCP 47 language tag CLDR knows; did you mean 'es'?",
        f"{bz}:4: help[0].kind: must be one of 'emergency', 'helpline', 'alert', 'police', 'other', not 'hospital'",
        f'{bz}:5: help[0].phone: 911 is read by YAML as the number 911, not text; write "911" in quotes',
        "3 problem(s); nothing was written.",
    ]
    assert snapshot(site["dist"]) == before


def test_check_writes_nothing_and_reports_the_same(site, capsys) -> None:
    assert run(site, "check") == 0
    out = capsys.readouterr().out
    assert out.startswith("checked 1 portal(s), ") and out.endswith(" pages: no errors, 0 warning(s)\n")
    assert not site["dist"].exists() and not site["fn"].exists()
    (site["sites"] / "bz.yaml").write_text(PORTAL.replace("code: bz", "code: BZ"))
    assert run(site, "check") == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"{site['sites'] / 'bz.yaml'}:1: code: write the country code in lowercase: 'bz'")


def test_warning_is_printed_and_strict_makes_it_an_error(site, capsys) -> None:
    assert run(site, "build", "--strict") == 0
    before = snapshot(site["dist"])
    (site["sites"] / "bz.yaml").write_text(PORTAL + "      fr: Urgences\n")
    warning = (f"{site['sites'] / 'bz.yaml'}:8: help[0].label.fr: warning: "
               "'fr' is not a language of this portal (en); it is never shown")
    capsys.readouterr()
    assert run(site, "build", "--strict") == 1
    err = capsys.readouterr().err
    assert warning in err.splitlines()
    assert "(warnings are errors under --strict); nothing was written." in err
    assert snapshot(site["dist"]) == before
    assert run(site, "build") == 0
    assert warning in capsys.readouterr().err.splitlines()
    assert run(site, "check", "--strict") == 1


def test_every_real_portal_checks_and_builds(tmp_path, capsys) -> None:
    loaded = load_config(ROOT / "sites")
    codes = [p.code for p in loaded.portals]
    assert len(codes) >= 10 and "bz" in codes
    assert [str(w) for w in loaded.warnings] == []
    assert main(["--root", str(ROOT), "check"]) == 0
    assert main(["--root", str(ROOT), "build", "--out", str(tmp_path / "dist"),
                 "--function-out", str(tmp_path / "fn")]) == 0
    for portal in loaded.portals:
        for lang in portal.languages:
            page = (tmp_path / "dist" / portal.code / lang / "index.html").read_text(encoding="utf-8")
            assert f'lang="{lang}"' in page
            for entry in portal.help:
                assert entry.label[lang] in page or entry.label[lang].replace("'", "&#39;") in page


def test_the_example_in_docs_portals_md_is_valid(tmp_path) -> None:
    # GIVEN the example portal from the maintainers' documentation, with a safe logo
    doc = (ROOT / "docs" / "portals.md").read_text(encoding="utf-8")
    example = doc.split("## Example\n\n```yaml\n", 1)[1].split("```", 1)[0]
    sites = tmp_path / "sites"
    (sites / "logos").mkdir(parents=True)
    (sites / "_defaults.yaml").write_text(DEFAULTS)
    (sites / "bz.yaml").write_text(example, encoding="utf-8")
    (sites / "logos" / "bz-police.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')
    # THEN it loads without a problem, and the logo is published under /logos/
    loaded = load_config(sites)
    assert loaded.warnings == [] and loaded.portals[0].texts["intro"]["es"].startswith("Si vio")
    assert main(["--root", str(ROOT), "build", "--sites", str(sites), "--out", str(tmp_path / "dist"),
                 "--function-out", str(tmp_path / "fn")]) == 0
    assert (tmp_path / "dist" / "logos" / "bz-police.svg").read_bytes() == (sites / "logos" / "bz-police.svg").read_bytes()
