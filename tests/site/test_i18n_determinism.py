"""Byte-identical output whatever the order of portals and languages.

A portal's first language is its default: `/<cc>/` and `/<cc>/404.html` are in it and every
`x-default` alternate points at it. Reversing a whole language list therefore changes the
meaning of the config, not just its order. So the exact test reverses the order of portals and
of each portal's *other* languages (same meaning → identical trees, function data included); a
second test reverses whole lists and checks that only what depends on the default moved.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from reportal.site.build import Paths, build
from tests.support import ROOT

build_module = importlib.import_module("reportal.site.build")
SITES = [ROOT / "sites", ROOT / "tests" / "fixtures" / "sites"]
X_DEFAULT = re.compile(rb'<link rel="alternate" hreflang="x-default" href="[^"]*">\n')


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_reordered(monkeypatch: pytest.MonkeyPatch, sites: Path, out: Path, reorder) -> dict[str, dict[str, bytes]]:  # noqa: ANN001
    """Build `sites` with the loaded portal list passed through `reorder` first."""
    real = build_module.load_config

    def load(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        loaded = real(*args, **kwargs)
        loaded.portals = reorder(loaded.portals)
        return loaded

    with monkeypatch.context() as m:
        m.setattr(build_module, "load_config", load)
        build(Paths.under(ROOT, sites), out / "dist", out / "fn")
    return {"dist": tree(out / "dist"), "fn": tree(out / "fn")}


def reverse_portals_and_other_languages(portals):  # noqa: ANN001, ANN201
    return [p.model_copy(update={"languages": p.languages[:1] + p.languages[:0:-1]}) for p in reversed(portals)]


def reverse_everything(portals):  # noqa: ANN001, ANN201
    return [p.model_copy(update={"languages": p.languages[::-1]}) for p in reversed(portals)]


@pytest.mark.parametrize("sites", SITES, ids=["sites", "fixtures"])
def test_order_of_portals_and_other_languages_changes_no_byte(tmp_path, monkeypatch, sites: Path) -> None:
    a = build_reordered(monkeypatch, sites, tmp_path / "a", list)
    b = build_reordered(monkeypatch, sites, tmp_path / "b", reverse_portals_and_other_languages)
    assert sorted(a["dist"]) == sorted(b["dist"]) and sorted(a["fn"]) == sorted(b["fn"])
    assert [k for k in a["dist"] if a["dist"][k] != b["dist"][k]] == []
    assert [k for k in a["fn"] if a["fn"][k] != b["fn"][k]] == []


def test_real_sites_exercise_the_reordering() -> None:
    """Some real portal has two or more non-default languages (mn: mn, kk, en), so the test
    above really reorders languages, not only portals."""
    assert any(len(p.languages) >= 3 for p in build_module.load_config(ROOT / "sites").portals)


def test_reversing_whole_language_lists_moves_only_what_the_default_decides(tmp_path, monkeypatch) -> None:
    sites = ROOT / "tests" / "fixtures" / "sites"  # bz: en+es, eg: ar+en
    a = build_reordered(monkeypatch, sites, tmp_path / "a", list)["dist"]
    b = build_reordered(monkeypatch, sites, tmp_path / "b", reverse_everything)["dist"]
    assert sorted(a) == sorted(b)
    # THEN /<cc>/ and its 404 are the new default language's pages
    for cc, old, new in (("bz", "en", "es"), ("eg", "ar", "en")):
        for rel in ("index.html", "404.html"):
            assert a[f"{cc}/{rel}"] == a[f"{cc}/{old}/{rel}"] and b[f"{cc}/{rel}"] == b[f"{cc}/{new}/{rel}"]
    # AND x-default points at the new default; every other byte of every language page is unchanged
    assert b'hreflang="x-default" href="https://report.example.org/bz/es/help/"' in b["bz/en/help/index.html"]
    for path in a:
        if path.count("/") >= 2:  # /<cc>/<lang>/…
            assert X_DEFAULT.sub(b"", a[path]) == X_DEFAULT.sub(b"", b[path]), path
    # AND the portal list names each country in its default language first
    assert a["index.html"] != b["index.html"]
    assert b["index.html"].index("مصر".encode()) > b["index.html"].index(b">Egypt<")
