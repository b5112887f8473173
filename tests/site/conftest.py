"""Fixtures of the build tests: the shipped portals and the fixture portals, each built once."""
from __future__ import annotations

import pytest

from reportal.site.build import Paths, build
from reportal.site.config import load_config
from tests.support import ROOT


@pytest.fixture(scope="session", params=["sites", "tests/fixtures/sites"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One build, shared read-only by every test that takes it: {"dist": its dist/ folder,
    "portals": the portals it holds}."""
    sites = ROOT / request.param
    out = tmp_path_factory.mktemp("site")
    build(Paths.under(ROOT, sites), out / "dist", out / "fn")
    return {"dist": out / "dist", "portals": load_config(sites).portals}
