"""The Hugo twin (bench/hugo.py) that `make bench` measures reportal against: built by Hugo, it
writes the same files as `reportal build`, byte for byte, from the same sites, catalogs and
templates; a template construct it cannot translate is refused by name, never mistranslated."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.hugo import TwinError, hugo_binary, write_twin
from bench.sites import write_sites
from reportal.site.build import Paths, build
from tests.support import ROOT


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _hugo(twin: Path, public: Path) -> dict[str, bytes]:
    subprocess.run([str(hugo_binary()), "--source", str(twin), "--destination", str(public), "--quiet"],
                   check=True, capture_output=True, timeout=120)
    return _tree(public)


@pytest.mark.parametrize("which", ["synthetic", "shipped"])
def test_the_twin_writes_the_files_reportal_builds(tmp_path: Path, which: str) -> None:
    # GIVEN the bench's synthetic portals (3 portals × 3 languages, one right to left) or the shipped ones
    if which == "synthetic":
        sites = tmp_path / "sites"
        write_sites(sites, ROOT / "sites" / "_defaults.yaml", portals=3, languages=3)
    else:
        sites = ROOT / "sites"
    # WHEN reportal builds them and Hugo builds their twin
    result = build(Paths.under(ROOT, sites), tmp_path / "dist", tmp_path / "function")
    pages = write_twin(ROOT, sites, tmp_path / "twin")
    hugo = _hugo(tmp_path / "twin", tmp_path / "public")
    # THEN both wrote the same pages, stylesheet and logos, byte for byte
    built = _tree(tmp_path / "dist")
    assert sorted(hugo) == sorted(built)
    assert [path for path in built if hugo[path] != built[path]] == []
    assert sum(path.endswith(".html") for path in hugo) == pages > result.pages > 0


def test_a_construct_the_twin_cannot_translate_is_refused_by_name(tmp_path: Path) -> None:
    # GIVEN the shipped templates with a recursive loop added to the thanks page
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    thanks = templates / "thanks.html"
    thanks.write_text(thanks.read_text(encoding="utf-8").replace(
        "{% block main %}", "{% block main %}{% for x in [] recursive %}{{ x }}{% endfor %}", 1), encoding="utf-8")
    root = tmp_path / "root"
    root.mkdir()
    for name, source in (("sites", ROOT / "sites"), ("templates", templates), ("translations", ROOT / "translations")):
        (root / name).symlink_to(source)
    line = 1 + thanks.read_text(encoding="utf-8").splitlines().index(
        next(t for t in thanks.read_text(encoding="utf-8").splitlines() if "recursive" in t))
    # WHEN the twin is written THEN it stops, naming the template, the line and the construct
    with pytest.raises(TwinError, match=rf"thanks\.html:{line}: only `for x in y` loops are translated"):
        write_twin(root, ROOT / "sites", tmp_path / "twin")
