"""Labels and choices the workbench's pages show for the vocabulary (`reportal.inbox.vocabulary`).

Hosting countries: every ISO 3166-1 alpha-2 territory Babel knows, named in English and sorted
by name, plus `unknown`. Computed once per process.
"""
from __future__ import annotations

from functools import cache

__all__ = ["action_choices", "country_choices", "label", "outcome_choices", "status_choices"]


def _labels() -> dict[str, str]:
    from reportal.inbox import vocabulary

    merged: dict[str, str] = {}
    for name in ("OUTCOME_LABELS", "ACTION_LABELS", "STATUS_LABELS", "ROLE_LABELS"):
        merged.update(getattr(vocabulary, name, {}))
    return merged


def label(value: str | None) -> str:
    """The English label of a vocabulary value or country code; `-` for None."""
    if value is None:
        return "-"
    return _labels().get(value) or _country_names().get(value) or value


def outcome_choices() -> list[tuple[str, str]]:
    """(value, label) for each outcome, in the vocabulary's order."""
    from reportal.inbox.vocabulary import OUTCOMES

    return [(value, label(value)) for value in OUTCOMES]


def status_choices() -> list[tuple[str, str]]:
    """(value, label) for each report status, in the vocabulary's order."""
    from reportal.inbox.vocabulary import STATUSES

    return [(value, label(value)) for value in STATUSES]


def action_choices() -> list[tuple[str, str]]:
    """(value, label) for each action taken, in the vocabulary's order."""
    from reportal.inbox.vocabulary import ACTIONS

    return [(value, label(value)) for value in ACTIONS]


@cache
def _country_names() -> dict[str, str]:
    return dict(country_choices())


@cache
def country_choices() -> list[tuple[str, str]]:
    """(code, name) for `unknown` then every ISO 3166-1 alpha-2 territory, by English name."""
    from babel import Locale

    names = Locale("en").territories
    countries = sorted(((code.lower(), name) for code, name in names.items()
                        if len(code) == 2 and code.isalpha() and code not in ("ZZ", "EU", "EZ", "UN", "QO", "XA", "XB")),
                       key=lambda pair: pair[1])
    return [("unknown", "Unknown")] + countries
