"""Normalize what a reporter typed as a web address, keeping the typed text beside it.

Rules (DESIGN.md, "URL handling"): trim Unicode whitespace; refang ``hxxp(s)``, ``[.]``,
``(.)``, ``[:]``, ``[://]``; no scheme → ``https://``; IDN hosts kept as typed plus their
IDNA form (UTS #46 non-transitional, as browsers do, so ``faß.de`` stays distinct from
``fass.de``); ``.onion``, IPv4 and IPv6 literals accepted; no DNS and no TLD list.
Active or local schemes (``javascript:``, ``data:``, ``vbscript:``, ``file:``…, in any case,
with embedded whitespace, control characters or percent-escapes) are refused. A chat message
pasted whole ("look at https://x.example/y please") yields its one web address. Nothing is
ever truncated; whitespace and controls inside the path are percent-encoded (RFC 3986 §2.1).
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = ["MAX_URL_CHARS", "NormalizedUrl", "UrlError", "normalize_url", "strip_space"]

MAX_URL_CHARS = 8192  # code points; the form's maxlength

_REFANG = [
    (re.compile(r"^hxxp(s?)", re.I), r"http\1"),
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]", re.I), "."),
]
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_WEB_SCHEMES = {"http", "https", "ftp"}
# "example.com:8080/x" and "localhost:3000" parse as a scheme: they are a host and a port.
_HOST_PORT = re.compile(r"^[a-zA-Z0-9.\-]+:\d{1,5}(?:[/?#]|$)")
# Schemes a browser runs or reads locally: refused even when they look like host:port.
_ACTIVE = {"javascript", "data", "vbscript", "file", "about", "blob", "filesystem", "view-source",
           "jar", "livescript", "mocha", "chrome", "resource", "ms-its", "mhtml"}
_HOST_CHARS = re.compile(r"^[^\s/\\?#@:<>\"'`{}|^%]+$")
_EMBEDDED = re.compile(r"(?:hxxps?|https?)(?:://|\[://\]|\[:\]//)\S+", re.I)
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\s]")


class UrlError(ValueError):
    """A value is not a usable web address; `code` names why (``url-scheme``, ``url-invalid``)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class NormalizedUrl:
    """`typed`: what the reporter gave, trimmed only; `normalized`: the address to assess."""

    typed: str
    normalized: str


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs")


def strip_space(value: str) -> str:
    """Trim Unicode whitespace, controls and format characters (U+200B, U+FEFF…) at both ends."""
    start, end = 0, len(value)
    while start < end and _is_space(value[start]):
        start += 1
    while end > start and _is_space(value[end - 1]):
        end -= 1
    return value[start:end]


def _scheme_probe(value: str) -> str:
    """What a browser would see as the scheme: escapes decoded, controls and spaces removed."""
    decoded = value
    for _ in range(3):
        decoded = unquote(decoded)
    return "".join(ch for ch in decoded if not _is_space(ch))


def _refuse_active(value: str) -> str | None:
    """Raise for an active/local scheme; return the lower-cased scheme seen, if any."""
    match = _SCHEME.match(_scheme_probe(value))
    if not match:
        return None
    scheme = match.group(1).lower()
    if scheme in _ACTIVE:
        raise UrlError("url-scheme")
    return scheme


def _idna(host: str) -> str:
    """ASCII form of an internationalized host (UTS #46 non-transitional, IDNA 2003 fallback)."""
    import idna  # lazy: only non-ASCII hosts pay for it

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:
        return host.encode("idna").decode("ascii")  # allows symbols such as "i❤.ws"
    except UnicodeError:
        return host  # kept as typed; analysts see it as text


def _encode(part: str) -> str:
    """Percent-encode whitespace and control characters only; leave everything else as typed."""
    return _UNSAFE.sub(lambda m: quote(m.group(0), safe=""), part)


def _host(parts) -> str:  # noqa: ANN001 - urllib's SplitResult
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal, RFC 3986 §3.2.2
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise UrlError("url-invalid") from None
        return f"[{host}]"
    if not host or not _HOST_CHARS.match(host) or host.startswith(".") or ".." in host:
        raise UrlError("url-invalid")
    return host if host.isascii() else _idna(host)


def _normalize(value: str) -> str:
    for pattern, repl in _REFANG:
        value = pattern.sub(repl, value)
    scheme = _refuse_active(value)
    if scheme is not None and scheme not in _WEB_SCHEMES:
        if not _HOST_PORT.match(value):
            raise UrlError("url-scheme")
        scheme = None
    if scheme is None:
        value = "https://" + value.lstrip("/\\")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise UrlError("url-invalid") from None
    if parts.scheme.lower() not in _WEB_SCHEMES:
        raise UrlError("url-scheme")
    host = _host(parts)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme.lower(), _encode(netloc), _encode(parts.path or "/"),
                       _encode(parts.query), _encode(parts.fragment)))


def _bracket_bare_ipv6(value: str) -> str:
    """``2001:db8::1/x`` (typed without brackets) → ``[2001:db8::1]/x``."""
    head, sep, tail = value.partition("/")
    try:
        ipaddress.IPv6Address(head)
    except ValueError:
        return value
    return f"[{head}]{sep}{tail}"


def normalize_url(raw: str) -> NormalizedUrl:
    """Normalize one typed address (any length: nothing is truncated).

    Returns `NormalizedUrl(typed, normalized)`. Raises `UrlError` with code ``url-scheme``
    (an active, local or other non-web scheme) or ``url-invalid`` (no readable host, a bad
    port or IPv6 literal). Pure: no DNS, no network, no TLD list.
    """
    typed = strip_space(raw)
    if not typed:
        raise UrlError("url-invalid")
    _refuse_active(typed)
    try:
        return NormalizedUrl(typed, _normalize(_bracket_bare_ipv6(typed)))
    except UrlError:
        if not any(ch.isspace() for ch in typed):
            raise
        # A pasted chat message: accept it when it holds exactly one web address.
        found = _EMBEDDED.findall(typed)
        if len(found) != 1:
            raise
        normalized = _normalize(found[0])
        host = urlsplit(normalized).hostname or ""
        if "." not in host and ":" not in host:  # "https://exa mple.com" is a typo, not a message
            raise
        return NormalizedUrl(typed, normalized)
