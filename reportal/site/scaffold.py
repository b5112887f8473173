"""`reportal new-portal CC --languages a,b`: a starter `sites/<cc>.yaml` that builds as written.

The starter holds only facts CLDR gives (the country's name in each language, each language's
own name) and commented examples for what a maintainer must source: partners, help numbers,
text overrides. Nothing is guessed; `help` stays empty until a number with a source is added.
"""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from reportal.site.catalogs import country_name, language
from reportal.site.config import ConfigError, load_config
from reportal.site.rules import check_language, check_territory

__all__ = ["new_portal", "starter_yaml"]


def _quoted(text: str) -> str:
    """`text` as a YAML scalar: plain where YAML reads it back as the same text, else
    double-quoted (a JSON string is valid YAML), so `no` or `10:00` never turn into traps."""
    try:
        plain = yaml.safe_load(f"k: {text}") == {"k": text}
    except yaml.YAMLError:
        plain = False
    return text if plain and "#" not in text else json.dumps(text, ensure_ascii=False)


def starter_yaml(code: str, languages: list[str]) -> str:
    """The text of a new portal file for `code` in `languages` (first = default).

    `code` and `languages` must already be valid (see `new_portal`). Values are quoted, so a
    language such as Norwegian (`no`) stays text.
    """
    names = {tag: country_name(code, tag) for tag in languages}
    native = ", ".join(f"{language(tag).native} ({tag})" for tag in languages)
    lines = [
        f"# {names[languages[0]]} — reporting portal. Every key is described in docs/portals.md.",
        "# Put the source of every fact (launch, partners, numbers) in a comment beside it, and",
        "# leave a number out rather than guess it.",
        f"code: {_quoted(code)}",
        f"# {native}; the first is the default language.",
        f"languages: [{', '.join(_quoted(tag) for tag in languages)}]",
        "# The country's name on the pages, per language (from CLDR; edit to taste).",
        "names:",
        *(f"  {_quoted(tag)}: {_quoted(name)}" for tag, name in names.items()),
        "# Organisations that launched or support the portal; logos are SVG files under sites/logos/.",
        "partners: []",
        "#  - name: Example Partner",
        "#    url: https://partner.example/",
        f"#    logo: logos/{code}-partner.svg",
        "# Local help: emergency, helpline, alert, police or other; a phone (in quotes), an https URL",
        "# or both, and a label in every language of the portal. The first line is shown above the",
        "# report form, for a child in danger now: list the emergency or police number first. Until",
        "# there is one, `reportal check` warns and the pages say to go to the nearest police station.",
        "help: []",
        "#  - kind: police",
        '#    phone: "112"',
        "#    label:",
        *(f"#      {tag}: …" for tag in languages),
        '#    hours: "24/7"            # or: {days: mon-fri, opens: "08:00", closes: "17:00"}',
        "#    # Source: https://… (checked YYYY-MM-DD)",
        "# If the country has no emergency or police number you can source, say so on purpose:",
        "# no_emergency_number: none found with a source (searched YYYY-MM-DD)",
        "",
    ]
    return "\n".join(lines)


def new_portal(sites: Path, code: str, languages: list[str]) -> Path:
    """Write `sites/<code>.yaml` and prove it loads; returns its path.

    Raises `ValueError` listing every bad argument (unknown country code or language tag, no
    language, a repeated language), `FileExistsError` if the portal exists, and `ConfigError`
    (the file is removed again) if the result does not load with `sites/_defaults.yaml`.
    """
    errors = []
    for check, value in [(check_territory, code)] + [(check_language, tag) for tag in languages]:
        try:
            check(value)
        except ValueError as exc:
            errors.append(str(exc))
    if not languages:
        errors.append("give at least one language, e.g. --languages en")
    errors += [f"{tag!r} is listed twice" for i, tag in enumerate(languages) if tag in languages[:i]]
    if errors:
        raise ValueError("; ".join(errors))
    path = sites / f"{code}.yaml"
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    path.write_text(starter_yaml(code, languages), encoding="utf-8")
    try:
        load_config(sites, only=[code])
    except ConfigError as exc:
        own = [p for p in exc.problems if p.file == str(path)]
        path.unlink()
        raise ConfigError(own or exc.problems) from None
    return path
