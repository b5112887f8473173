"""The function's settings, read from the environment once, at cold start, and validated."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

__all__ = ["ENV_NAMES", "Settings", "SettingsError", "origin_allowed", "origin_of"]

# The names infra/backend.yaml passes to the function; a test pins that the two agree.
ENV_NAMES = {
    "queue_url": "REPORTAL_QUEUE_URL",
    "recipients": "REPORTAL_RECIPIENTS",
    "data_dir": "REPORTAL_DATA_DIR",
    "origin_secret": "REPORTAL_ORIGIN_SECRET",
    "allowed_origins": "REPORTAL_ALLOWED_ORIGINS",
    "service": "POWERTOOLS_SERVICE_NAME",
    "metrics_namespace": "POWERTOOLS_METRICS_NAMESPACE",
}
_REQUIRED = ("queue_url", "recipients", "data_dir")


class SettingsError(Exception):
    """The environment cannot run the function; `problems` lists every one (one message)."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid function settings: " + "; ".join(problems))
        self.problems = problems


def origin_of(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case (RFC 6454 §6.2 serialization), or None if
    `value` is not a parseable http(s) origin (``null``, empty, garbage)."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme.lower()]
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}{suffix}"


def origin_allowed(header: str, allowed: frozenset[str]) -> bool:
    """True if an ``Origin`` header value may post a report: absent (empty), ``null`` (the
    portals' no-referrer policy; RFC 6454 §7.3, Fetch "serializing a request origin"), or an
    origin in `allowed`. A foreign origin, a list (``null, https://evil.example``), a bad
    port or another scheme (``chrome-extension://…``) is not."""
    value = header.strip()
    if value in ("", "null"):
        return True
    return origin_of(value) in allowed


@dataclass(frozen=True)
class Settings:
    """`queue_url`: SQS queue; `recipients`: age recipients (comma or whitespace separated);
    `data_dir`: what `reportal build` wrote for the function (``site.json``, templates,
    catalogs); `origin_secret`: if set, every request must carry it in header
    ``x-reportal-origin`` (CloudFront adds it, DESIGN.md "Infrastructure");
    `allowed_origins`: if set, a request whose ``Origin`` is neither ``null``, absent nor
    one of these is refused (`origin_allowed`; portals send no referrer);
    `service`, `metrics_namespace`: Powertools names for logs and EMF metrics."""

    queue_url: str
    recipients: tuple[str, ...]
    data_dir: Path
    origin_secret: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    service: str = "reportal-submit"
    metrics_namespace: str = "Reportal"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Read the variables in `ENV_NAMES` (the first three required); raise `SettingsError`
        naming every missing or malformed one at once. Values are never quoted in the message
        except the data directory (a path, not a secret)."""
        env = os.environ if env is None else env
        get = {key: env.get(name, "").strip() for key, name in ENV_NAMES.items()}
        problems = [f"{ENV_NAMES[key]} is not set" for key in _REQUIRED if not get[key]]
        if get["queue_url"] and urlsplit(get["queue_url"]).scheme not in ("http", "https"):
            problems.append(f"{ENV_NAMES['queue_url']} is not an http(s) queue URL")
        recipients = tuple(get["recipients"].replace(",", " ").split())
        bad = [str(i + 1) for i, r in enumerate(recipients) if not r.startswith("age1")]
        if bad:
            problems.append(f"{ENV_NAMES['recipients']}: recipient #{', #'.join(bad)} is not an age1… key")
        data_dir = Path(get["data_dir"])
        if get["data_dir"] and not (data_dir / "site.json").is_file():
            problems.append(f"{ENV_NAMES['data_dir']}: {data_dir}/site.json not found (written by `reportal build`)")
        origins = get["allowed_origins"].replace(",", " ").split()
        parsed = {origin_of(o) for o in origins}
        if None in parsed:
            problems.append(f"{ENV_NAMES['allowed_origins']}: give origins as https://host[:port]")
        if problems:
            raise SettingsError(problems)
        return cls(queue_url=get["queue_url"], recipients=recipients, data_dir=data_dir,
                   origin_secret=get["origin_secret"] or None,
                   allowed_origins=frozenset(o for o in parsed if o),
                   service=get["service"] or cls.service,
                   metrics_namespace=get["metrics_namespace"] or cls.metrics_namespace)
