"""Rules for single config values: country codes, language tags, https URLs, phone numbers.

Each `check_*` returns the value unchanged or raises `ValueError` with the message a maintainer
sees, so the functions serve directly as pydantic `AfterValidator`s.
"""
from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

__all__ = ["check_https", "check_language", "check_phone", "check_territory", "territory_codes"]

# ISO 3166-1 §7 (via the ISO 3166/MA): codes CLDR lists as territories that are not assigned
# country codes: "exceptionally reserved" (AC CP CQ DG EA EU EZ IC TA UN) and user-assigned
# (AA, QM–QZ, XA–XZ, ZZ; CLDR uses QO, XA, XB, XK, ZZ).
_NOT_ISO = frozenset("AC CP CQ DG EA EU EZ IC TA UN AA ZZ".split())
_USER_ASSIGNED = re.compile(r"^(Q[M-Z]|X[A-Z])$")
# Digits with spaces, hyphens, dots or parentheses between them, optionally a leading "+"
# (ITU-T E.123 notation); nothing else, so a typo cannot dial somewhere unexpected.
_PHONE = re.compile(r"^\+?[0-9](?:[0-9 .\-()]*[0-9])?$")


@lru_cache(maxsize=1)
def territory_codes() -> frozenset[str]:
    """Lowercase ISO 3166-1 alpha-2 codes: CLDR's two-letter territories minus reserved ones."""
    names = Locale("en").territories
    return frozenset(
        code.lower() for code in names
        if len(code) == 2 and code.isalpha() and code not in _NOT_ISO and not _USER_ASSIGNED.match(code)
    )


def check_territory(code: str) -> str:
    """`code` must be a lowercase ISO 3166-1 alpha-2 code CLDR knows (it is the URL segment)."""
    if code.lower() in territory_codes():
        if code != code.lower():
            raise ValueError(f"write the country code in lowercase: {code.lower()!r}")
        return code
    raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")


@lru_cache(maxsize=1024)
def check_language(tag: str) -> str:
    """`tag` must be a BCP 47 tag that CLDR (Babel) knows, written canonically (`pt-BR`).

    Babel maps aliases (`iw` → `he`, `spa` → `es_ES`) and case; those are refused with the
    canonical spelling, so one language never gets two output folders.
    """
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag CLDR knows") from None
    canonical = str(locale).replace("_", "-")
    if canonical == tag:
        return tag
    suggestion = canonical if "-" in tag or "_" in tag else locale.language
    raise ValueError(f"{tag!r} is not a BCP 47 language tag CLDR knows; did you mean {suggestion!r}?")


def check_https(url: str) -> str:
    """`url` must be an absolute https:// URL with a host (pages link only to https)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or url != url.strip():
        raise ValueError(f"{url!r} is not an https:// address")
    return url


def check_phone(phone: str) -> str:
    """`phone` holds digits, spaces and `+ - . ( )` only, starting with `+` or a digit."""
    if not _PHONE.match(phone):
        raise ValueError(f"{phone!r} is not a phone number: use digits, spaces and + - . ( ) only")
    return phone
