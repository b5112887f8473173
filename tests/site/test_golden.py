"""Golden output: the fixture portal in tests/golden/sites (eg: Arabic, right to left and the
default, plus English) built with the real templates and catalogs, compared byte for byte
with the HTML committed under tests/golden/dist/.

A difference is either a bug or an intended change. When intended, regenerate on purpose
and review the diff like code:

    make golden        # = REPORTAL_GOLDEN=update .venv/bin/python -m pytest tests/site/test_golden.py

The stylesheet's content hash is replaced by `HASH`, so a CSS edit alone changes no page.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from reportal.site.build import Paths, build
from tests.support import ROOT

GOLDEN = ROOT / "tests" / "golden"
CSS = re.compile(rb"/style\.[0-9a-f]+\.css")


def pages(dist: Path) -> dict[str, bytes]:
    """Every HTML page under `dist`, stylesheet hash neutralised."""
    return {p.relative_to(dist).as_posix(): CSS.sub(b"/style.HASH.css", p.read_bytes())
            for p in sorted(dist.rglob("*.html"))}


def test_fixture_portal_matches_committed_html(tmp_path: Path) -> None:
    # GIVEN the golden fixture built from scratch
    build(Paths(GOLDEN / "sites", ROOT / "templates", ROOT / "translations"), tmp_path / "dist", tmp_path / "fn")
    built = pages(tmp_path / "dist")
    if os.environ.get("REPORTAL_GOLDEN") == "update":
        shutil.rmtree(GOLDEN / "dist", ignore_errors=True)
        for rel, data in built.items():
            (GOLDEN / "dist" / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / "dist" / rel).write_bytes(data)
    # THEN every page equals the committed one, and no page is missing or extra
    committed = pages(GOLDEN / "dist")
    assert sorted(built) == sorted(committed), "pages added or removed: run `make golden` if intended"
    changed = [rel for rel in built if built[rel] != committed[rel]]
    assert changed == [], f"pages differ from tests/golden/dist: {changed}; run `make golden` if intended"
    # AND the fixture is what the golden test promises: two languages, the default right to left
    assert b'<html lang="ar" dir="rtl">' in built["eg/index.html"]
    assert b'<html lang="en" dir="ltr">' in built["eg/en/index.html"]
    assert len(built) == 2 + 2 + 5 * 2 + 1  # + the edge's "not received" page
