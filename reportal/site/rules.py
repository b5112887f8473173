"""Rules for single config values: plain text, country codes, language tags, https URLs, phones.

Each `check_*` returns the value unchanged or raises `ValueError` with the message a maintainer
sees, so the functions serve directly as pydantic `AfterValidator`s. `text_problem` is the rule
every text value in a config file obeys (the YAML walker applies it to every string and key).
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError

from reportal.bcp47 import cldr_canonical

__all__ = ["check_https", "check_language", "check_phone", "check_territory", "territory_codes", "text_problem"]

# ISO 3166-1 §7 (via the ISO 3166/MA): codes CLDR lists as territories that are not assigned
# country codes: "exceptionally reserved" (AC CP CQ DG EA EU EZ IC TA UN) and user-assigned
# (AA, QM–QZ, XA–XZ, ZZ; CLDR uses QO, XA, XB, XK, ZZ).
_NOT_ISO = frozenset("AC CP CQ DG EA EU EZ IC TA UN AA ZZ".split())
_USER_ASSIGNED = re.compile(r"^(Q[M-Z]|X[A-Z])$")
# Digits with spaces, hyphens, dots or parentheses between them, optionally a leading "+"
# (ITU-T E.123 notation); nothing else, so a typo cannot dial somewhere unexpected.
_PHONE = re.compile(r"^\+?[0-9](?:[0-9 .\-()]*[0-9])?$")
# Characters no config text may hold: C0 controls, DEL and C1 controls (Unicode general
# category Cc; a label is one line, so tab and line feed too), the line and paragraph
# separators, the bidirectional embeddings, overrides and isolates that can make text read
# differently from what it holds (Unicode UAX #9 §2.1-2.4; "Trojan Source", CVE-2021-42574),
# and lone surrogates, which are not characters and cannot be written as UTF-8.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x85\u2028\u2029")
# An https URL's host: DNS labels (RFC 1123 §2.1) once in IDNA ASCII form (RFC 5891), 63
# octets each and 253 in all (RFC 1035 §2.3.4); or an IPv6 literal in brackets (RFC 3986 §3.2.2).
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Characters RFC 3986 §2 never allows unencoded in a URL, and a backslash, which browsers read
# as "/" (WHATWG URL Standard, "special" schemes), so `https://evil.example\@good.example/`
# would go to evil.example. Non-ASCII letters (IRIs, RFC 3987) are allowed.
_NOT_IN_URL = frozenset(' "<>\\^`{|}')


def text_problem(value: str) -> str | None:
    """Why `value` cannot be config text, or None: it may not hold a control character (C0,
    DEL, C1, including tab and line breaks), a bidirectional embedding, override or isolate
    (U+202A-U+202E, U+2066-U+2069), a line or paragraph separator, or a lone surrogate.
    Letters of every script, and the marks LRM/RLM/ALM and ZWJ/ZWNJ that scripts need, pass."""
    found = _NOT_TEXT.search(value)
    if found is None:
        return None
    ch = found.group()
    code = f"U+{ord(ch):04X}"
    if ch in _LINE_BREAKS:
        return (f"holds a line break ({code}); write the text on one line (in a folded block, "
                f"write >- so that lines are joined without a break)")
    if "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
        return (f"holds the bidirectional control {code}, which can make text read differently "
                f"from what it is; remove it (pages set the direction from the language)")
    if "\ud800" <= ch <= "\udfff":
        return f"holds {code}, half of a surrogate pair, which is not a character; remove it"
    return f"holds the control character {code}; remove it"


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
        canonical = cldr_canonical(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        raise ValueError(f"{tag!r} is not a BCP 47 language tag CLDR knows") from None
    if canonical == tag:
        return tag
    suggestion = canonical if "-" in tag or "_" in tag else canonical.split("-")[0]
    raise ValueError(f"{tag!r} is not a BCP 47 language tag CLDR knows; did you mean {suggestion!r}?")


def _host_problem(host: str) -> str | None:
    """Why `host` (from `urlsplit`, lowercased, brackets removed) is not a usable host, or None."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "has a host in [ ] that is not an IPv6 address"
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii")  # IDNA 2003 (RFC 3490): enough to check
    except UnicodeError:
        return f"its host {host!r} is not a valid domain name"
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return f"its host {host!r} is not a valid domain name"
    return None


def _url_problem(url: str) -> str | None:
    """Why `url` is not a plain absolute https:// URL, or None (see `check_https`)."""
    if not url.startswith("https://"):
        return "is not an https:// address"
    odd = next((ch for ch in url if ch in _NOT_IN_URL or unicodedata.category(ch)[0] in "CZ"), None)
    if odd is not None:
        shown = repr(odd) if odd.isprintable() and odd != " " else f"U+{ord(odd):04X}"
        return f"holds {shown}, which a URL may not hold as it is; write it %-encoded or remove it"
    try:
        parts = urlsplit(url)
    except ValueError:  # Python checks what is in brackets (bpo-43882, gh-103848)
        return "has a host in [ ] that is not an IPv6 address"
    if "@" in parts.netloc:
        return "holds a user name or password (the part before @); remove it"
    if not parts.hostname:
        return "has no host"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535 or parts.netloc.endswith(":"):
        return "has a port that is not a number from 1 to 65535"
    return _host_problem(parts.hostname)


def check_https(url: str) -> str:
    """`url` must be an absolute https:// URL that browsers and people read the same way.

    Refused: another scheme (pages link only to https); whitespace, control and format
    characters (bidi overrides, Unicode categories C* and Z*); characters RFC 3986 §2 never allows
    unencoded, and backslash (a browser reads it as "/", WHATWG URL Standard); user info (a
    `user@` in front of the host disguises it, RFC 3986 §7.6); no host, a host that is not a
    domain name (RFC 1123, IDNA) or an IPv6 literal; a port outside 1-65535 (RFC 6335 §6).
    Raises `ValueError` with the reason."""
    problem = _url_problem(url)
    if problem:
        raise ValueError(f"{url!r} {problem}")
    return url


def check_phone(phone: str) -> str:
    """`phone` holds digits, spaces and `+ - . ( )` only, starting with `+` or a digit."""
    if not _PHONE.match(phone):
        raise ValueError(f"{phone!r} is not a phone number: use digits, spaces and + - . ( ) only")
    return phone
