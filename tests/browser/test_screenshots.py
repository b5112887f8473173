"""`reportal screenshots`: one phone-width PNG per portal and an index linking them."""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT


def test_screenshots_command_writes_a_phone_width_png_per_portal(tmp_path: Path) -> None:
    # WHEN the command runs for two real portals (in its own process: the package's browser
    # already holds this thread's Playwright)
    run = subprocess.run([sys.executable, "-m", "reportal.cli", "--root", str(ROOT), "screenshots",
                          "--out", str(tmp_path), "--site", "bz", "--site", "pk"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    # THEN each portal has a PNG 360 CSS pixels wide showing its whole (tall) report page
    for code in ("bz", "pk"):
        data = (tmp_path / f"{code}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width == 360 and height > 1500
    # AND the index links both pictures, and the command printed their paths
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "(bz.png)" in index and "(pk.png)" in index and "Belize" in index
    assert run.stdout.split() == [str(tmp_path / "bz.png"), str(tmp_path / "pk.png")]
