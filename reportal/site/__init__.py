"""Static portals from config: load (`config`), languages (`catalogs`), plan (`pages`),
render (`render`), write (`output`). `build()` runs the four steps in that order."""
from __future__ import annotations

from reportal.site.build import BuildResult, build

__all__ = ["BuildResult", "build"]
