"""`reportal new-portal CC --languages a,b` writes a starter that builds without edits."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from reportal.cli import main
from reportal.site.config import load_config
from tests.support import ROOT


@pytest.fixture
def sites(tmp_path: Path) -> Path:
    """A sites/ folder holding only the real `_defaults.yaml`."""
    folder = tmp_path / "sites"
    folder.mkdir()
    shutil.copy(ROOT / "sites" / "_defaults.yaml", folder / "_defaults.yaml")
    return folder


@pytest.mark.parametrize("code,languages,names", [
    ("gt", "es,en", {"es": "Guatemala", "en": "Guatemala"}),
    ("eg", "ar,en", {"ar": "مصر", "en": "Egypt"}),
    ("no", "nb,no", {"nb": "Norge", "no": "Norge"}),  # "no" twice: a YAML 1.1 trap if unquoted
    ("ci", "fr", {"fr": "Côte d’Ivoire"}),
])
def test_new_portal_builds_without_edits(sites: Path, tmp_path: Path, capsys, code, languages, names) -> None:
    # WHEN a maintainer scaffolds a portal
    assert main(["--root", str(ROOT), "new-portal", code, "--languages", languages, "--sites", str(sites)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {sites / (code + '.yaml')};")
    # THEN the file holds the country's name in each language from CLDR, as text
    data = yaml.safe_load((sites / f"{code}.yaml").read_text(encoding="utf-8"))
    assert data["code"] == code and data["languages"] == languages.split(",")
    assert data["names"] == names
    # AND it loads with no warning and builds every page without edits
    [portal] = load_config(sites).portals
    assert portal.names == names
    dist = tmp_path / "dist"
    assert main(["--root", str(ROOT), "build", "--sites", str(sites), "--out", str(dist),
                 "--function-out", str(tmp_path / "fn")]) == 0
    for tag in languages.split(","):
        page = (dist / code / tag / "index.html").read_text(encoding="utf-8")
        assert f"· {names[tag]}</title>" in page


@pytest.mark.parametrize("code,languages,message", [
    ("xx", "en", "'xx' is not an ISO 3166-1 alpha-2 country code"),
    ("GT", "es", "write the country code in lowercase: 'gt'"),
    ("gt", "spa,en,en", "'spa' is not a BCP 47 language tag CLDR knows; did you mean 'es'?; 'en' is listed twice"),
    ("gt", ",", "give at least one language, e.g. --languages en"),
])
def test_bad_arguments_write_nothing(sites: Path, capsys, code, languages, message) -> None:
    assert main(["new-portal", code, "--languages", languages, "--sites", str(sites)]) == 2
    assert capsys.readouterr().err == f"reportal new-portal: {message}\n"
    assert sorted(p.name for p in sites.iterdir()) == ["_defaults.yaml"]


def test_existing_portal_is_never_overwritten(sites: Path, capsys) -> None:
    (sites / "gt.yaml").write_text("# hand-written\n")
    assert main(["new-portal", "gt", "--languages", "es", "--sites", str(sites)]) == 2
    assert capsys.readouterr().err == f"reportal new-portal: {sites / 'gt.yaml'} already exists\n"
    assert (sites / "gt.yaml").read_text() == "# hand-written\n"
