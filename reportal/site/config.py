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

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError,
                      model_validator)
from pyrage import RecipientError, x25519

from reportal.site.logos import logo_problems
from reportal.site.problems import ConfigError, ConfigProblem, Locator, key_text, schema_message, unknown_key
from reportal.site.rules import check_https, check_language, check_phone, check_territory, territory_codes
from reportal.site.yamlload import KeyPath, YamlDocument, load_yaml

__all__ = [
    "DAYS", "DEFAULT_RETENTION", "EMERGENCY_KINDS", "TEXT_KEYS", "ConfigError", "ConfigProblem", "HelpEntry",
    "Hosting", "Hotline", "LoadedConfig", "OpeningHours", "Partner", "Portal", "Retention", "emergency_problems",
    "load_config",
]

# Page texts a portal may override, per language (templates use `texts.<key>`).
TEXT_KEYS = ("intro",)


def _check_recipient(value: str) -> str:
    """An age X25519 recipient; a secret key pasted here is refused without quoting it."""
    if value.strip().upper().startswith("AGE-SECRET-KEY-"):
        raise ValueError("this is an age secret key (not shown): give its public recipient (age1…) "
                         "and treat the key as leaked")
    try:
        x25519.Recipient.from_str(value)
    except (RecipientError, ValueError):
        raise ValueError(f"{value!r} is not an age public key (age1…)") from None
    return value


Https = Annotated[str, AfterValidator(check_https)]
Phone = Annotated[str, AfterValidator(check_phone)]
Language = Annotated[str, AfterValidator(check_language)]
Recipient = Annotated[str, AfterValidator(_check_recipient)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hotline(_Model):
    """The hotline that runs every portal (from `_defaults.yaml`); `country` is where it is
    (ISO 3166-1 alpha-2), named on the privacy page as the place reports are read and kept."""

    name: str
    url: Https
    privacy_url: Https | None = None
    country: Annotated[str, AfterValidator(check_territory)] | None = None


class Hosting(_Model):
    """Where the portal and the submission function run, as the privacy page states it:
    `provider` (e.g. "Amazon Web Services (AWS)"), `region` (the AWS region the stack is
    deployed to, e.g. `eu-west-2`) and `country` (ISO 3166-1 alpha-2 of that region)."""

    provider: str
    region: str
    country: Annotated[str, AfterValidator(check_territory)]


class Partner(_Model):
    """An organisation that launched or supports a portal; `logo` is an SVG path under `sites/`."""

    name: str
    url: Https | None = None
    logo: str | None = None


# Days of the week as written in `help[].hours.days` (ISO 8601 order, Monday first).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The kinds of help line a reporter can call when a child is in danger right now.
EMERGENCY_KINDS = ("emergency", "police")


def _check_days(value: str) -> str:
    """`mon`, or a range such as `mon-fri` (`fri-mon` wraps over the weekend)."""
    parts = value.split("-")
    if len(parts) in (1, 2) and all(p in DAYS for p in parts) and len(set(parts)) == len(parts):
        return value
    raise ValueError(f"{value!r} is not a day or a range of days: write e.g. mon-fri, sat-sun or mon "
                     f"(days: {', '.join(DAYS)})")


def _check_clock(value: str) -> str:
    """A 24-hour clock time `HH:MM` (in quotes in YAML: unquoted, 08:00 is a YAML 1.1 number)."""
    hours, sep, minutes = value.partition(":")
    if sep and len(hours) == 2 and len(minutes) == 2 and hours.isdigit() and minutes.isdigit() \
            and int(hours) < 24 and int(minutes) < 60:
        return value
    raise ValueError(f"{value!r} is not a time: write it as \"08:00\" (24-hour clock, in quotes)")


Days = Annotated[str, AfterValidator(_check_days)]
Clock = Annotated[str, AfterValidator(_check_clock)]


class OpeningHours(_Model):
    """When a line answers: `days` (`mon-fri`), `opens` and `closes` (`"08:00"`, local time);
    written `"24/7"` in YAML, it is `always`. Pages write the days and times in each language
    from CLDR."""

    always: bool = False
    days: Days | None = None
    opens: Clock | None = None
    closes: Clock | None = None

    @model_validator(mode="after")
    def _complete(self) -> "OpeningHours":
        given = [self.days, self.opens, self.closes]
        if self.always and any(given) or not self.always and not all(given):
            raise ValueError('give days, opens and closes (e.g. days: mon-fri, opens: "08:00", closes: "17:00"), '
                             'or write "24/7"')
        return self


def _hours_shape(value: Any) -> Any:
    """`"24/7"` → always open; any other text is refused; a mapping is checked as `OpeningHours`."""
    if value == "24/7":
        return {"always": True}
    if isinstance(value, str):
        raise ValueError(f'{value!r} is not opening hours: write "24/7", or days, opens and closes')
    return value


class HelpEntry(_Model):
    """A local help line: `label` per language, and a phone number and/or an https URL.

    `hours` is `"24/7"` or days, opens and closes (`OpeningHours`); left out, pages say nothing about hours. `note`
    (per language) is a caveat shown with the line, e.g. that it is often out of service.
    The first entry is the one shown above the report form, for a child in danger now."""

    kind: Literal["emergency", "helpline", "alert", "police", "other"]
    label: dict[str, str]
    phone: Phone | None = None
    url: Https | None = None
    hours: Annotated[OpeningHours, BeforeValidator(_hours_shape)] | None = None
    note: dict[str, str] | None = None


class Retention(_Model):
    """How long the inbox keeps what a reporter typed, in days from the report's `received_at`.

    `email_days`: the reporter's email address (the outcome mail needs it until then);
    `report_days`: the rest of the report (URLs, notes, referrer). `reportal inbox purge`
    applies both; the privacy page states both. A portal may shorten them, never lengthen
    them beyond `_defaults.yaml` (the hotline's promise); email never outlives its report.
    """

    email_days: StrictInt = Field(default=90, ge=1, le=3650)
    report_days: StrictInt = Field(default=730, ge=1, le=3650)


DEFAULT_RETENTION = Retention()


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
    # The country's name on pages, per language; CLDR's name where absent (e.g. to show
    # "DR Congo" instead of CLDR's "Congo - Kinshasa").
    names: dict[str, str] = {}
    # Languages whose catalog no native speaker has reviewed yet, launched on purpose: their
    # review warning is not raised for this portal, so `--strict` passes (docs/translating.md).
    launch_unreviewed: list[Language] = []
    retention: Retention = DEFAULT_RETENTION
    hosting: Hosting | None = None
    # Why the portal lists no emergency or police number, on purpose (e.g. "none found with a
    # source, searched 2026-12-01"): silences that warning, so `--strict` passes.
    no_emergency_number: Annotated[str, Field(min_length=1)] | None = None

    @property
    def default_language(self) -> str:
        return self.languages[0]


@dataclass
class LoadedConfig:
    """Every valid portal (sorted by code) and the warnings found while loading them."""

    portals: list[Portal]
    warnings: list[ConfigProblem]
    # The `retention` of sites/_defaults.yaml, validated (DEFAULT_RETENTION when it states
    # none): what applies to reports of a portal that is no longer configured. A portal's own
    # (shorter) periods are `portal.retention`.
    retention: Retention = DEFAULT_RETENTION

    @property
    def recipients(self) -> list[str]:
        """The hotline's age recipients (`recipients` of sites/_defaults.yaml, validated; a
        portal file cannot set its own), in order; empty when none are configured."""
        return list(dict.fromkeys(str(r) for portal in self.portals for r in portal.recipients))


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base[key], value) if key in base else value
        return merged
    return over


def _schema_problems(data: dict[str, Any], source: Locator) -> tuple[Portal | None, list[ConfigProblem]]:
    try:
        return Portal.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = tuple(part for part in err["loc"] if part != "[key]")
            _, doc, _ = source.locate(path)
            if any(p.path == path for p in doc.problems):
                continue  # the loader already said what is wrong here (a tag, a control character)
            problems.append(source.problem(path, schema_message(Portal, err, path, doc)))
        return None, problems


class _Defaults(_Model):
    """The part of `_defaults.yaml` that holds without any portal (validated on its own)."""

    retention: Retention = DEFAULT_RETENTION


def _defaults_retention(defaults: tuple[str, YamlDocument] | None) -> tuple[Retention, list[ConfigProblem]]:
    """The defaults' `retention`, validated and located like any portal key."""
    data = defaults[1].data if defaults else None
    if not isinstance(data, dict) or "retention" not in data:
        return DEFAULT_RETENTION, []
    try:
        return _Defaults.model_validate({"retention": data["retention"]}).retention, []
    except ValidationError as exc:
        source = Locator(defaults, None)  # type: ignore[arg-type]
        problems = []
        for err in exc.errors():
            path = tuple(part for part in err["loc"] if part != "[key]")
            problems.append(source.problem(path, schema_message(_Defaults, err, path, defaults[1])))  # type: ignore[index]
        return DEFAULT_RETENTION, problems


def _texts_of(data: dict[str, Any]) -> list[tuple[KeyPath, Any]]:
    """Every per-language text in the merged data: help labels, `texts` and `names`."""
    found: list[tuple[KeyPath, Any]] = []
    help_entries = data.get("help")
    for i, entry in enumerate(help_entries if isinstance(help_entries, list) else []):
        for key in ("label", "note"):
            if isinstance(entry, dict) and key in entry:
                found.append((("help", i, key), entry[key]))
    texts = data.get("texts")
    for key, per_lang in (texts.items() if isinstance(texts, dict) else []):
        found.append((("texts", key), per_lang))
    if data.get("names"):
        found.append((("names",), data["names"]))
    return found


def _valid_language(tag: str) -> bool:
    try:
        check_language(tag)
    except ValueError:
        return False
    return True


def _cross_check(data: dict[str, Any], stem: str, sites: Path, source: Locator) -> list[ConfigProblem]:
    """Rules spanning keys or files, on the raw merged data (so they run even when the schema
    fails elsewhere): code = file name, text coverage of every language, logos on disk."""
    out: list[ConfigProblem] = []
    code = data.get("code")
    if isinstance(code, str) and code.lower() in territory_codes() and code.lower() != stem.lower():
        out.append(source.problem(("code",), f"{code!r} does not match the file name {stem}.yaml; "
                                             f"the file is named after its code"))
    raw_langs = data.get("languages")
    raw_langs = raw_langs if isinstance(raw_langs, list) else []
    langs = [t for t in raw_langs if isinstance(t, str) and _valid_language(t)]
    all_valid = bool(langs) and len(langs) == len(raw_langs)
    for i, tag in enumerate(raw_langs):
        if tag in raw_langs[:i]:
            out.append(source.problem(("languages", i), f"{tag!r} is listed twice"))
    help_entries = data.get("help")
    for i, entry in enumerate(help_entries if isinstance(help_entries, list) else []):
        if isinstance(entry, dict) and entry.get("phone") is None and entry.get("url") is None:
            out.append(source.problem(("help", i), "give a phone number, an https URL or both"))

    for path, per_lang in _texts_of(data):
        if path[0] == "texts" and path[1] not in TEXT_KEYS:
            out.append(source.problem(path, unknown_key(str(path[1]), list(TEXT_KEYS), "text")))
            continue
        if not isinstance(per_lang, dict):
            continue
        missing = [t for t in dict.fromkeys(langs) if t not in per_lang]
        if missing:
            out.append(source.problem(path, f"no text for {', '.join(missing)}; "
                                            f"give one in every portal language"))
        for tag in per_lang if all_valid else ():
            if tag not in langs:
                out.append(source.problem(path + (tag,), f"{tag!r} is not a language of this portal "
                                                         f"({', '.join(langs)}); it is never shown", "warning"))
    partners = data.get("partners")
    for i, partner in enumerate(partners if isinstance(partners, list) else []):
        logo = partner.get("logo") if isinstance(partner, dict) else None
        if isinstance(logo, str):
            out.extend(source.problem(("partners", i, "logo"), m) for m in logo_problems(sites, logo))
    return out


def _retention_problems(portal_data: Any, defaults_data: Any, source: Locator) -> list[ConfigProblem]:
    """A portal's own `retention` periods may only be shorter than (or equal to) the defaults'."""
    own = portal_data.get("retention") if isinstance(portal_data, dict) else None
    base = defaults_data.get("retention") if isinstance(defaults_data, dict) else None
    if not isinstance(own, dict):
        return []
    out: list[ConfigProblem] = []
    for key in ("email_days", "report_days"):
        limit = base.get(key) if isinstance(base, dict) and key in base else getattr(DEFAULT_RETENTION, key)
        value = own.get(key)
        if type(value) is int and type(limit) is int and value > limit:
            out.append(source.problem(("retention", key), f"{value} days is longer than the {limit} days "
                                                          f"sites/_defaults.yaml promises; a portal may only shorten it"))
    return out


# Keys that hold for the whole hotline, not one portal: one function seals every portal's
# reports to the same `recipients` (REPORTAL_RECIPIENTS, set by `reportal deploy`).
HOTLINE_WIDE = ("recipients",)


def _hotline_wide_problems(portal_data: Any, source: Locator) -> list[ConfigProblem]:
    """A portal file may not set a hotline-wide key: it would be validated, then never used."""
    if not isinstance(portal_data, dict):
        return []
    return [source.problem((key,), f"one function seals the reports of every portal to the same keys; "
                                   f"set `{key}` in sites/_defaults.yaml only")
            for key in HOTLINE_WIDE if key in portal_data]


def _email_outlives_report(data: dict[str, Any], source: Locator) -> list[ConfigProblem]:
    """The merged `retention`: an email address is never kept longer than its report."""
    merged = data.get("retention")
    if not isinstance(merged, dict):
        return []
    email = merged.get("email_days", DEFAULT_RETENTION.email_days)
    report = merged.get("report_days", DEFAULT_RETENTION.report_days)
    if type(email) is int and type(report) is int and email > report:
        return [source.problem(("retention", "email_days"), f"{email} days is longer than report_days "
                                                            f"({report}); an email is never kept longer than its report")]
    return []


def _logo_clashes(portal: Portal, source: Locator, published: dict[str, str]) -> list[ConfigProblem]:
    """Logos are published flat as `/logos/<file name>`: two different files may not share a name.
    `published` (file name → path under sites/) is shared across portals and updated."""
    out = []
    for i, partner in enumerate(portal.partners):
        if partner.logo:
            logo = Path(partner.logo).as_posix()
            first = published.setdefault(Path(logo).name, logo)
            if first != logo:
                out.append(source.problem(("partners", i, "logo"), f"{logo!r} and {first!r} would both be "
                                                                   f"published as /logos/{Path(logo).name}; rename one"))
    return out


def _read(path: Path, name: str, problems: list[ConfigProblem]) -> YamlDocument:
    try:
        raw = path.read_bytes()
    except OSError as exc:  # a folder named xx.yaml, no permission, a dangling link
        problems.append(ConfigProblem(name, 0, "-", f"cannot be read ({exc.strerror or type(exc).__name__}); "
                                                    "a portal is one YAML file"))
        return YamlDocument(data=None)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(ConfigProblem(name, line, "-", f"is not UTF-8 text (byte {raw[exc.start]:#04x}); "
                                                       "save the file as UTF-8"))
        return YamlDocument(data=None)
    doc = load_yaml(text)
    problems.extend(ConfigProblem(name, p.line, key_text(p.path), p.message) for p in doc.problems)
    if doc.data is None and not doc.problems:
        doc.data = {}
    if doc.data is not None and not isinstance(doc.data, dict):
        problems.append(ConfigProblem(name, 1, "-", "the file must hold a mapping of keys"))
        doc.data = None
    return doc


def emergency_problems(portals: list[Portal], sites: Path) -> list[ConfigProblem]:
    """A warning (an error with --strict) for each portal without an emergency or police phone
    number: its pages then tell a reporter whose child is in danger now to call its first line,
    or to go to the nearest police station, and never promise an emergency number."""
    out = []
    for portal in portals:
        has = any(h.kind in EMERGENCY_KINDS and h.phone for h in portal.help)
        if has and portal.no_emergency_number:
            out.append(ConfigProblem(str(sites / f"{portal.code}.yaml"), 0, "no_emergency_number",
                                     "the portal lists an emergency or police number: remove no_emergency_number",
                                     "warning"))
        if has or portal.no_emergency_number:
            continue
        first = "call its first help line or " if portal.help else ""
        out.append(ConfigProblem(str(sites / f"{portal.code}.yaml"), 0, "help",
                                 f"no emergency or police number: pages tell a reporter whose child is in danger "
                                 f"now to {first}go to the nearest police station; add a sourced emergency or police "
                                 f"number if there is one, or say why there is none in no_emergency_number", "warning"))
    return out


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
    logo_files: dict[str, str] = {}
    for path in paths:
        if only and path.stem not in only:
            continue
        doc = _read(path, str(path), problems)
        if doc.data is None or (defaults and defaults[1].data is None):
            continue
        source = Locator((str(path), doc), defaults)
        data = _merge(defaults[1].data if defaults else {}, doc.data)
        portal, found = _schema_problems(data, source)
        problems.extend(found)
        problems.extend(_cross_check(data, path.stem, sites, source))
        problems.extend(_retention_problems(doc.data, defaults[1].data if defaults else None, source))
        problems.extend(_hotline_wide_problems(doc.data, source))
        problems.extend(_email_outlives_report(data, source))
        if portal is not None:
            portals.append(portal)
            problems.extend(_logo_clashes(portal, source, logo_files))
    retention, found = _defaults_retention(defaults)
    problems.extend(found)
    problems = list(dict.fromkeys(problems))  # a defaults mistake is found once per portal, said once
    if any(p.severity == "error" for p in problems):
        raise ConfigError(problems)
    return LoadedConfig(portals, [p for p in problems if p.severity == "warning"], retention)
