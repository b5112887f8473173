"""The function's settings, read from the environment once, at cold start."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

__all__ = ["Settings", "SettingsError"]


class SettingsError(Exception):
    """Required environment variables are missing; the message lists every one."""


@dataclass(frozen=True)
class Settings:
    """`queue_url`: SQS queue; `recipients`: age recipients (comma or whitespace separated);
    `data_dir`: what `reportal build` wrote for the function; `origin_secret`: if set, every
    request must carry it in header ``x-reportal-origin`` (CloudFront adds it)."""

    queue_url: str
    recipients: tuple[str, ...]
    data_dir: Path
    origin_secret: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read `REPORTAL_QUEUE_URL`, `REPORTAL_RECIPIENTS`, `REPORTAL_DATA_DIR` and the optional
        `REPORTAL_ORIGIN_SECRET`; raise `SettingsError` naming every missing one."""
        env = os.environ if env is None else env
        required = ("REPORTAL_QUEUE_URL", "REPORTAL_RECIPIENTS", "REPORTAL_DATA_DIR")
        missing = [name for name in required if not env.get(name, "").strip()]
        if missing:
            raise SettingsError("missing environment variables: " + ", ".join(missing))
        return cls(
            queue_url=env["REPORTAL_QUEUE_URL"].strip(),
            recipients=tuple(env["REPORTAL_RECIPIENTS"].replace(",", " ").split()),
            data_dir=Path(env["REPORTAL_DATA_DIR"]),
            origin_secret=env.get("REPORTAL_ORIGIN_SECRET") or None,
        )
