"""Fixtures for the submission function's tests (helpers live in tests/support.py)."""
from __future__ import annotations

import copy

import pytest

from tests.support import load_event


@pytest.fixture
def event_named():
    """Return a deep copy of a stored event, so tests may change it."""
    return lambda name: copy.deepcopy(load_event(name))
