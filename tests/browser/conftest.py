"""Fixtures for the browser proofs.

A copy of the real portals (`sites/`, `templates/`, `translations/`) in a temporary root is
served by the local preview (`reportal.preview.Preview`, port 0: its own moto queue, the real
function and the drain thread writing `var/inbox.sqlite` under that root). One Debian Chromium
serves the whole package. axe-core and the Nu HTML checker come from `node_modules/` here,
installed by `make test` (`npm ci` from package-lock.json). Figures are printed at the end.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support import ROOT

HERE = Path(__file__).resolve().parent
AXE_JS = HERE / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

FIGURES = pytest.StashKey[dict]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print the figures the browser tests measured (pages checked, violations, largest page)."""
    figures = config.stash.get(FIGURES, {})
    if figures:
        terminalreporter.write_sep("-", "browser figures")
        for name, value in figures.items():
            terminalreporter.write_line(f"{name}: {value}")


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make test` (it installs tests/browser/node_modules and Chromium)",
                    pytrace=False)
    return path


@pytest.fixture(scope="package")
def figures(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Figures to print in the run's summary: name → value."""
    return request.config.stash.setdefault(FIGURES, {})


@pytest.fixture(scope="package")
def axe_source() -> str:
    """axe-core's browser bundle, injected into each page through the DevTools protocol
    (which the pages' `script-src 'none'` CSP does not govern)."""
    return _require(AXE_JS).read_text(encoding="utf-8")


@pytest.fixture(scope="package")
def vnu_jar() -> Path:
    """The Nu HTML checker's jar (run with the machine's Java 17)."""
    return _require(VNU_JAR)


@pytest.fixture(scope="package")
def site_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary repository root holding copies of every real portal, the templates and the
    catalogs, so the preview's `dist/` and `var/` never touch the working tree."""
    root = tmp_path_factory.mktemp("browser-root")
    for name in ("sites", "templates", "translations"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("*.mo"))
    return root


_PREVIEW_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")


@pytest.fixture(scope="package")
def preview(site_root: Path) -> Iterator[Any]:
    """The running local preview over `site_root`; `.base` is its URL, `.endpoint` moto's.
    The AWS variables it sets for itself are restored afterwards."""
    from reportal.preview import Preview

    saved = {name: os.environ.get(name) for name in _PREVIEW_ENV}
    running = Preview(site_root, port=0)
    running.base = running.start()
    running.endpoint = os.environ["AWS_ENDPOINT_URL"]
    try:
        yield running
    finally:
        running.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole package, with the project's flags."""
    from playwright.sync_api import sync_playwright

    from reportal.screenshots import CHROMIUM, launch_chromium

    _require(CHROMIUM)
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def nojs_page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context with JavaScript disabled, as in Tor Browser's safest mode."""
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (JavaScript on, as most reporters have it)."""
    context = browser.new_context()
    yield context.new_page()
    context.close()

