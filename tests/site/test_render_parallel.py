"""Rendering and writing in two processes (`render_pages`, `write_output`): the same bytes in the
same order as one process, and an error in the forked child fails the build as it would here."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from jinja2 import UndefinedError

from bench.sites import write_sites
from reportal.site.build import Paths, catalogued
from reportal.site.config import load_config
from reportal.site.pages import plan_pages
from reportal.site.output import write_output
from reportal.site.render import MemoryBytecodeCache, make_environment, render_pages
from tests.support import ROOT


@pytest.fixture
def planned(tmp_path: Path) -> tuple[list[Any], Any]:
    """The pages of 3 synthetic portals × 3 languages, and an environment per language."""
    write_sites(tmp_path / "sites", ROOT / "sites" / "_defaults.yaml", portals=3, languages=3)
    paths = Paths.under(ROOT, tmp_path / "sites")
    pages = plan_pages(load_config(paths.sites).portals, "/style.css", catalogued(paths))
    envs: dict[str, Any] = {}
    cache = MemoryBytecodeCache()

    def environment(lang: str) -> Any:
        return envs.setdefault(lang, make_environment(paths.templates, paths.translations, lang, cache))

    return pages, environment


def test_two_processes_render_what_one_renders(planned: tuple[list[Any], Any]) -> None:
    # GIVEN planned pages in several languages WHEN rendered in one process and in two
    pages, environment = planned
    one = render_pages(pages, environment, processes=1)
    two = render_pages(pages, environment, processes=2)
    # THEN the pages are the same bytes, in the same order, each page once
    assert one == two and len(two) == len(pages) > 20
    assert len(set(pages[i].lang for i in range(len(pages)))) >= 3


def test_an_error_in_the_forked_child_is_raised_here(planned: tuple[list[Any], Any]) -> None:
    # GIVEN a page of the last language (rendered by the child) whose context lacks `portal`
    pages, environment = planned
    last = max(pages, key=lambda p: p.lang)
    broken = dataclasses.replace(last, context={k: v for k, v in last.context.items() if k != "portal"})
    # WHEN the pages are rendered in two processes THEN the template's error reaches the caller
    with pytest.raises(UndefinedError, match="portal"):
        render_pages([*pages, broken], environment, processes=2)


def test_two_processes_write_what_one_writes(tmp_path: Path) -> None:
    # GIVEN two output folders holding the same earlier site (some files to keep, change and drop)
    earlier = {f"p{i // 10}/{i}/index.html": f"old {i}".encode() for i in range(300)}
    site = {rel: (data if i % 3 else b"new") for i, (rel, data) in enumerate(sorted(earlier.items())) if i % 7}
    site["extra/index.html"] = b"extra"
    for name in ("one", "two"):
        write_output(tmp_path / name, earlier, processes=1)
    # WHEN the next site is written by one process into one and by two into the other
    one = write_output(tmp_path / "one", site, processes=1)
    two = write_output(tmp_path / "two", site, processes=2)
    # THEN both hold exactly the site and count the same writes, unchanged files and removals
    assert one == two and (two.written, two.unchanged, two.removed) == (
        sum(1 for i in range(300) if i % 7 and not i % 3) + 1, sum(1 for i in range(300) if i % 7 and i % 3),
        sum(1 for i in range(300) if not i % 7))
    for name in ("one", "two"):
        assert {p.relative_to(tmp_path / name).as_posix(): p.read_bytes()
                for p in (tmp_path / name).rglob("*") if p.is_file()} == site
