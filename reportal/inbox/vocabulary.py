"""The hotline's vocabulary: machine names (database, JSON, CLI, tests) and English labels.

Source: /work/shared/DESIGN.md, "Hotline side". Hosting countries are ISO 3166-1 alpha-2
codes, lowercase, checked against Babel's (CLDR's) territory list, or ``unknown``.
"""
from __future__ import annotations

from functools import lru_cache

__all__ = [
    "ACTIONS", "ACTION_LABELS", "OUTCOMES", "OUTCOME_LABELS", "ROLES", "ROLE_LABELS", "STATUSES", "STATUS_LABELS",
    "UNKNOWN_COUNTRY", "VocabularyError", "check_action", "check_country", "check_outcome", "check_role",
    "check_status", "countries",
]

OUTCOMES = ("baseline", "national", "not-illegal", "out-of-remit", "unavailable", "duplicate")
ACTIONS = ("notice-to-host", "forwarded-to-hotline", "referred-to-police", "none")
STATUSES = ("new", "in-progress", "assessed")
ROLES = ("analyst", "supervisor")
UNKNOWN_COUNTRY = "unknown"

OUTCOME_LABELS = {
    "baseline": "Illegal under INTERPOL's baseline criteria",
    "national": "Illegal under national law only",
    "not-illegal": "Not illegal",
    "out-of-remit": "Out of remit",
    "unavailable": "Unavailable (gone, login, could not reach)",
    "duplicate": "Duplicate",
}
ACTION_LABELS = {
    "notice-to-host": "Notice sent to the host",
    "forwarded-to-hotline": "Forwarded to a hotline (ICCAM or the hosting country's)",
    "referred-to-police": "Referred to police",
    "none": "No action",
}
STATUS_LABELS = {"new": "New", "in-progress": "In progress", "assessed": "Assessed"}
ROLE_LABELS = {"analyst": "Analyst", "supervisor": "Supervisor"}


class VocabularyError(ValueError):
    """A value outside the vocabulary; the message names the field, the value and the choices."""


def _check(field: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise VocabularyError(f"{field} must be one of {', '.join(allowed)}; not {value!r}"[:300])
    return value  # type: ignore[return-value]


def check_outcome(value: object) -> str:
    """`value` if it is an outcome, else `VocabularyError`."""
    return _check("outcome", value, OUTCOMES)


def check_action(value: object) -> str:
    """`value` if it is an action, else `VocabularyError`."""
    return _check("action", value, ACTIONS)


def check_status(value: object) -> str:
    """`value` if it is a status, else `VocabularyError`."""
    return _check("status", value, STATUSES)


def check_role(value: object) -> str:
    """`value` if it is a role, else `VocabularyError`."""
    return _check("role", value, ROLES)


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes (lowercase) → English names, from CLDR via Babel.

    CLDR's numeric regions (``001``, ``419``…) and its private-use/placeholder codes (``ZZ``,
    ``XA``, ``XB``, ``QO``, ``EU``, ``EZ``, ``UN``) are not countries and are left out."""
    from babel import Locale

    not_countries = {"ZZ", "XA", "XB", "QO", "EU", "EZ", "UN"}
    return {code.lower(): name for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha() and code not in not_countries}


def check_country(value: object) -> str:
    """`value` if it is a lowercase ISO 3166-1 alpha-2 code CLDR knows, or ``unknown``;
    else `VocabularyError`."""
    if value == UNKNOWN_COUNTRY or (isinstance(value, str) and value in countries()):
        return value
    raise VocabularyError(f"hosting country must be an ISO 3166-1 alpha-2 code in lowercase (e.g. de) or "
                          f"{UNKNOWN_COUNTRY}; not {value!r}"[:300])
