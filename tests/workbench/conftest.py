"""Fixtures for the workbench tests: a seeded inbox and the app over it with Flask's test client."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.workbench.support import Seeded, cheap_hasher, seed


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    """Three reports and two accounts (`ana` analyst, `sam` supervisor) in a fresh inbox."""
    return seed(tmp_path / "var" / "inbox.sqlite")


@pytest.fixture
def app(seeded: Seeded) -> Any:
    """The workbench over the seeded inbox (cheap password hashing)."""
    from reportal.inbox.store import Store
    from reportal.workbench.app import WorkbenchSettings, create_app

    return create_app(WorkbenchSettings(hasher=cheap_hasher()), lambda: Store(seeded.db))


@pytest.fixture
def client(app: Any) -> Any:
    """A browser without a session."""
    return app.test_client()
