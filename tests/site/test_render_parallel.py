"""Rendering in two processes (`render_pages`): the same bytes in the same order as one process,
and a template error in the forked child fails the build as it would in one process."""
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
