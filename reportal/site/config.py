"""Portal configuration: `sites/_defaults.yaml` deep-merged under every `sites/<cc>.yaml`.

Loading runs three passes over every file and collects every mistake before failing:
1. `yamlload`: syntax, duplicate keys, keys YAML does not read as text (with lines);
2. the pydantic schema (`extra="forbid"`), its errors translated to plain words, located by
   key path in the portal file or in `_defaults.yaml`, whichever the value came from;
3. `_cross_check`: rules that span keys or files (code = file name, every label in every
   portal language, logos safe on disk).
Each mistake is a `ConfigProblem`; all of them are raised together in one `ConfigError`.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from inspect import isclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pyrage import x25519

from reportal.site.logos import logo_problems
from reportal.site.rules import check_https, check_language, check_phone, check_territory
from reportal.site.yamlload import KeyPath, YamlDocument, load_yaml

__all__ = [
    "TEXT_KEYS", "ConfigError", "ConfigProblem", "HelpEntry", "Hotline", "LoadedConfig", "Partner",
    "Portal", "load_config", "load_portals",
]

# Page texts a portal may override, per language (templates use `texts.<key>`).
TEXT_KEYS = ("intro",)


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


def _check_recipient(value: str) -> str:
    try:
        x25519.Recipient.from_str(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an age public key (age1…)") from None
    return value


Https = Annotated[str, AfterValidator(check_https)]
Phone = Annotated[str, AfterValidator(check_phone)]
Language = Annotated[str, AfterValidator(check_language)]
Recipient = Annotated[str, AfterValidator(_check_recipient)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hotline(_Model):
    """The hotline that runs every portal (from `_defaults.yaml`)."""

    name: str
    url: Https
    privacy_url: Https | None = None


class Partner(_Model):
    """An organisation that launched or supports a portal; `logo` is an SVG path under `sites/`."""

    name: str
    url: Https | None = None
    logo: str | None = None


class HelpEntry(_Model):
    """A local help line: `label` per language, and a phone number and/or an https URL."""

    kind: Literal["emergency", "helpline", "alert", "police", "other"]
    label: dict[str, str]
    phone: Phone | None = None
    url: Https | None = None

    @model_validator(mode="after")
    def _phone_or_url(self) -> HelpEntry:
        if self.phone is None and self.url is None:
            raise ValueError("give a phone number, an https URL or both")
        return self


class Portal(_Model):
    """One national portal: ISO 3166-1 alpha-2 `code`, BCP 47 `languages` (first = default)."""

    code: Annotated[str, AfterValidator(check_territory)]
    languages: list[Language] = Field(min_length=1)
    base_url: Https
    hotline: Hotline
    recipients: list[Recipient] = []
    partners: list[Partner] = []
    help: list[HelpEntry] = []
    texts: dict[str, dict[str, str]] = {}

    @property
    def default_language(self) -> str:
        return self.languages[0]


@dataclass
class LoadedConfig:
    """Every valid portal (sorted by code) and the warnings found while loading them."""

    portals: list[Portal]
    warnings: list[ConfigProblem]


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return over


def _key(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "-"


class _Source:
    """The two files a merged portal comes from; says where a key path was written."""

    def __init__(self, portal: tuple[str, YamlDocument], defaults: tuple[str, YamlDocument] | None):
        self.files = [portal] + ([defaults] if defaults else [])

    def locate(self, path: KeyPath) -> tuple[str, YamlDocument, int]:
        """The file, document and line of `path`, or of its nearest written parent."""
        for end in range(len(path), -1, -1):
            for name, doc in self.files:
                if path[:end] in doc.lines:
                    return name, doc, doc.lines[path[:end]]
        name, doc = self.files[0]
        return name, doc, 1

    def problem(self, path: KeyPath, message: str, severity: str = "error") -> ConfigProblem:
        name, _, line = self.locate(path)
        return ConfigProblem(name, line, _key(path), message, severity)  # type: ignore[arg-type]


def _unwrap(kind: Any) -> Any:
    while get_origin(kind) in (Union, UnionType, Annotated):
        kind = next(a for a in get_args(kind) if a is not type(None))
    return kind


def _is_model(kind: Any) -> bool:
    return isclass(kind) and issubclass(kind, BaseModel)


def _fields_at(path: KeyPath) -> list[str]:
    """Valid keys of the model found at `path` in `Portal` ([] where keys are free)."""
    kind: Any = Portal
    for part in path:
        if _is_model(kind):
            field = kind.model_fields.get(str(part))
            kind = _unwrap(field.annotation) if field else None
        elif get_origin(kind) in (list, dict):
            kind = _unwrap(get_args(kind)[-1])
        else:
            return []
    return list(kind.model_fields) if _is_model(kind) else []


def _unknown(key: str, valid: list[str], what: str = "key") -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown {what} {key!r}; did you mean {close[0]!r}?"
    return f"unknown {what} {key!r}; valid here: {', '.join(valid)}"


def _message(err: Any, path: KeyPath, doc: YamlDocument) -> str:
    kind = err["type"]
    if kind in ("string_type", "literal_error") and path in doc.traps:
        return doc.traps[path].message
    if kind == "extra_forbidden":
        return _unknown(str(path[-1]), _fields_at(path[:-1]))
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"must be one of {err['ctx']['expected'].replace(' or ', ', ')}, not {err['input']!r}"
    if kind == "too_short":
        return "list at least one"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind in ("string_type", "list_type", "dict_type", "model_type"):
        wanted = {"string_type": "text", "list_type": "a list", "dict_type": "a mapping",
                  "model_type": "a mapping"}[kind]
        return f"expected {wanted}, found {type(err['input']).__name__}"
    return err["msg"]


def _schema_problems(data: dict[str, Any], source: _Source) -> tuple[Portal | None, list[ConfigProblem]]:
    try:
        return Portal.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = tuple(part for part in err["loc"] if part != "[key]")
            _, doc, _ = source.locate(path)
            problems.append(source.problem(path, _message(err, path, doc)))
        return None, problems


def _texts_of(data: dict[str, Any]) -> list[tuple[KeyPath, Any]]:
    """Every per-language text in the merged data: help labels and `texts` overrides."""
    found: list[tuple[KeyPath, Any]] = []
    help_entries = data.get("help")
    for i, entry in enumerate(help_entries if isinstance(help_entries, list) else []):
        if isinstance(entry, dict) and "label" in entry:
            found.append((("help", i, "label"), entry["label"]))
    texts = data.get("texts")
    for key, per_lang in (texts.items() if isinstance(texts, dict) else []):
        found.append((("texts", key), per_lang))
    return found


def _cross_check(data: dict[str, Any], stem: str, sites: Path, source: _Source) -> list[ConfigProblem]:
    """Rules spanning keys or files, on the raw merged data (so they run even when the schema
    fails elsewhere): code = file name, text coverage of every language, logos on disk."""
    out: list[ConfigProblem] = []
    code = data.get("code")
    if isinstance(code, str) and code.lower() != stem.lower():
        out.append(source.problem(("code",), f"{code!r} does not match the file name {stem}.yaml; "
                                             f"the file is named after its code"))
    raw_langs = data.get("languages")
    langs = [t for t in raw_langs if isinstance(t, str)] if isinstance(raw_langs, list) else []
    for i, tag in enumerate(langs):
        if tag in langs[:i]:
            out.append(source.problem(("languages", i), f"{tag!r} is listed twice"))
    for path, per_lang in _texts_of(data):
        if path[0] == "texts" and path[1] not in TEXT_KEYS:
            out.append(source.problem(path, _unknown(str(path[1]), list(TEXT_KEYS), "text")))
            continue
        if not isinstance(per_lang, dict):
            continue
        missing = [t for t in dict.fromkeys(langs) if t not in per_lang]
        if missing:
            out.append(source.problem(path, f"no text for {', '.join(missing)}; "
                                            f"give one in every portal language"))
        for tag in per_lang:
            if tag not in langs:
                out.append(source.problem(path + (tag,), f"{tag!r} is not a language of this portal "
                                                         f"({', '.join(langs)}); it is never shown", "warning"))
    partners = data.get("partners")
    for i, partner in enumerate(partners if isinstance(partners, list) else []):
        logo = partner.get("logo") if isinstance(partner, dict) else None
        if isinstance(logo, str):
            out.extend(source.problem(("partners", i, "logo"), m) for m in logo_problems(sites, logo))
    return out


def _read(path: Path, name: str, problems: list[ConfigProblem]) -> YamlDocument:
    doc = load_yaml(path.read_text(encoding="utf-8"))
    problems.extend(ConfigProblem(name, p.line, _key(p.path), p.message) for p in doc.problems)
    if doc.data is None and not doc.problems:
        doc.data = {}
    if doc.data is not None and not isinstance(doc.data, dict):
        problems.append(ConfigProblem(name, 1, "-", "the file must hold a mapping of keys"))
        doc.data = None
    return doc


def load_portals(sites: Path, only: list[str] | None = None) -> list[Portal]:
    """`load_config(...).portals`: the portals without the warnings."""
    return load_config(sites, only).portals


def load_config(sites: Path, only: list[str] | None = None) -> LoadedConfig:
    """Load every `sites/<cc>.yaml` (sorted by code), merged over `sites/_defaults.yaml`.

    `only` limits loading to those codes (each must exist). Raises `ConfigError` listing every
    error in every file, each located as `file:line: key.path`; returns warnings otherwise.
    """
    problems: list[ConfigProblem] = []
    defaults_path = sites / "_defaults.yaml"
    defaults = (str(defaults_path), _read(defaults_path, str(defaults_path), problems)) \
        if defaults_path.exists() else None
    paths = [p for p in sorted(sites.glob("*.yaml")) if not p.name.startswith("_")]
    for code in only or []:
        if not (sites / f"{code}.yaml").exists():
            problems.append(ConfigProblem(str(sites / f"{code}.yaml"), 0, "-", "no such portal file"))
    portals: list[Portal] = []
    for path in paths:
        if only and path.stem not in only:
            continue
        doc = _read(path, str(path), problems)
        if doc.data is None or (defaults and defaults[1].data is None):
            continue
        source = _Source((str(path), doc), defaults)
        data = _merge(defaults[1].data if defaults else {}, doc.data)
        portal, found = _schema_problems(data, source)
        problems.extend(found)
        problems.extend(_cross_check(data, path.stem, sites, source))
        if portal is not None:
            portals.append(portal)
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    return LoadedConfig(portals, [p for p in problems if p.severity == "warning"])
