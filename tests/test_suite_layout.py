"""The test suite's own rules (issue 12): helpers come from support modules, never from a
conftest or a local copy of the repository root, and no test sleeps to wait for something."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

TESTS = ROOT / "tests"
_CONFTEST_IMPORT = re.compile(r"^\s*from tests(\.\w+)*\.conftest import", re.M)
_ROOT_COPY = re.compile(r"Path\(__file__\)\.resolve\(\)\.parents\[")
_SLEEP = re.compile(r"\btime\.sleep\(")


def _sources() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in sorted(TESTS.rglob("*.py"))
            if "node_modules" not in p.parts}


def test_helpers_come_from_support_modules_not_conftest_or_root_copies() -> None:
    sources = _sources()
    assert len(sources) > 40  # the scan sees the suite
    conftest_imports = [name for name, text in sources.items() if _CONFTEST_IMPORT.search(text)]
    root_copies = [name for name, text in sources.items() if _ROOT_COPY.search(text) and name != "tests/support.py"]
    assert conftest_imports == [], "import helpers from tests/support.py (or a package's support.py)"
    assert root_copies == [], "use `from tests.support import ROOT`"


def test_no_sleep_waits_for_something() -> None:
    # A fixed sleep is either too short on a loaded machine or wasted time on an idle one: wait
    # on an event, a join, or `support.wait_until` (polling with a deadline). A sleep that
    # simulates something (network latency, a random moment) says so on its line.
    sleeps = [f"{name}:{number}: {line.strip()}" for name, text in _sources().items()
              for number, line in enumerate(text.splitlines(), 1)
              if _SLEEP.search(line) and "not synchronisation" not in line and name != "tests/support.py"]
    assert sleeps == []


def test_plain_pytest_from_the_root_collects_the_whole_suite() -> None:
    # GIVEN the repository root as the working directory WHEN the `pytest` script (not
    # `python -m pytest`, which would put the root on sys.path) only collects THEN nothing fails
    pytest_script = Path(sys.executable).with_name("pytest")
    done = subprocess.run([str(pytest_script), "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert re.search(r"^\d+ tests collected in", done.stdout, re.M), done.stdout[-500:]
