"""Portal configuration: `sites/_defaults.yaml` deep-merged under every `sites/<cc>.yaml`.

Every problem is collected as a `ConfigProblem` (file, line, key path, message) and raised
together in one `ConfigError`, so a maintainer sees all mistakes in one run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "ConfigError", "ConfigProblem", "HelpEntry", "Hotline", "LoadedConfig", "Partner", "Portal",
    "load_config", "load_portals",
]

_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]*$")


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in an input file: ``sites/bz.yaml:12: languages[1]: message``.

    `line` is 1-based (0 when a problem concerns a whole file). `severity` is "error" (the build
    stops, nothing is written) or "warning" (printed; `--strict` turns warnings into errors).
    Any build step may report warnings this way, e.g. incomplete gettext catalogs.
    """

    file: str
    line: int
    key: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {self.key}: {label}{self.message}"


class ConfigError(Exception):
    """Raised with every problem found (errors, or warnings under `--strict`); nothing is written."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.key, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class LoadedConfig:
    """Every valid portal (sorted by code) and the warnings found while loading them."""

    portals: list["Portal"]
    warnings: list[ConfigProblem]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _https(value: str | None) -> str | None:
    if value is not None and not value.startswith("https://"):
        raise ValueError("must be an https:// address")
    return value


class Hotline(_Model):
    """The hotline that runs every portal (from `_defaults.yaml`)."""

    name: str
    url: str
    privacy_url: str | None = None
    _check_url = field_validator("url", "privacy_url")(_https)


class Partner(_Model):
    """An organisation that launched or supports a portal; `logo` is an SVG under `sites/`."""

    name: str
    url: str | None = None
    logo: str | None = None
    _check_url = field_validator("url")(_https)


class HelpEntry(_Model):
    """A local help line: `label` per language, and a phone number and/or an https URL."""

    kind: Literal["emergency", "helpline", "alert", "police", "other"]
    label: dict[str, str]
    phone: str | None = None
    url: str | None = None
    _check_url = field_validator("url")(_https)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.match(value):
            raise ValueError("a phone number holds digits, spaces and + - ( ) only")
        return value


class Portal(_Model):
    """One national portal: ISO 3166-1 alpha-2 `code`, BCP 47 `languages` (first = default)."""

    code: str
    languages: list[str] = Field(min_length=1)
    base_url: str
    hotline: Hotline
    recipients: list[str] = []
    partners: list[Partner] = []
    help: list[HelpEntry] = []
    texts: dict[str, dict[str, str]] = {}

    @property
    def default_language(self) -> str:
        return self.languages[0]


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return over


def _read_yaml(path: Path, problems: list[ConfigProblem]) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(ConfigProblem(str(path), (mark.line + 1) if mark else 1, "-", str(exc)))
        return {}
    if not isinstance(data, dict):
        problems.append(ConfigProblem(str(path), 1, "-", "the file must hold a mapping"))
        return {}
    return data


def load_portals(sites: Path, only: list[str] | None = None) -> list[Portal]:
    """`load_config(...).portals`: the portals without the warnings."""
    return load_config(sites, only).portals


def load_config(sites: Path, only: list[str] | None = None) -> LoadedConfig:
    """Load every `sites/<cc>.yaml` (sorted by code), merged over `_defaults.yaml`.

    Raises `ConfigError` listing every error in every file; warnings are returned.
    """
    warnings: list[ConfigProblem] = []
    problems: list[ConfigProblem] = []
    defaults = _read_yaml(sites / "_defaults.yaml", problems) if (sites / "_defaults.yaml").exists() else {}
    portals: list[Portal] = []
    for path in sorted(sites.glob("*.yaml")):
        if path.name.startswith("_") or (only and path.stem not in only):
            continue
        data = _merge(defaults, _read_yaml(path, problems))
        try:
            portals.append(Portal.model_validate(data))
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "-"
                problems.append(ConfigProblem(str(path), 1, key, err["msg"]))
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(portals, warnings)
