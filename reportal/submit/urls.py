"""Normalize what a reporter typed as a web address, keeping the typed text beside it.

Rules (DESIGN.md, "URL handling"): trim Unicode whitespace; refang ``hxxp(s)``, ``[.]``,
``(.)``, ``[:]``, ``[://]``; no scheme → ``https://``; IDN hosts kept as typed plus their
IDNA form (RFC 5891); ``.onion``, IPv4 and IPv6 literals accepted; no DNS and no TLD list.
Active or local schemes (``javascript:``, ``data:``, ``vbscript:``, ``file:``…, in any case,
with embedded whitespace, control characters or percent-escapes) are refused. Nothing is
ever truncated.
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["MAX_URL_CHARS", "NormalizedUrl", "UrlError", "normalize_url"]

MAX_URL_CHARS = 8192  # code points; the form's maxlength

_REFANG = [
    (re.compile(r"^hxxp(s?)", re.I), r"http\1"),
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]", re.I), "."),
]
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_WEB_SCHEMES = {"http", "https"}
_HOST_LABEL = re.compile(r"^[^\s/\\?#@:]+$")


class UrlError(ValueError):
    """A value is not a usable web address; `code` names why (``url-scheme``, ``url-invalid``…)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class NormalizedUrl:
    """`typed`: exactly what the reporter gave (trimmed only); `normalized`: the address to assess."""

    typed: str
    normalized: str


def _strip(value: str) -> str:
    # Unicode whitespace (Zs, tabs, newlines) and format characters such as U+200B and U+FEFF.
    start, end = 0, len(value)
    while start < end and (value[start].isspace() or unicodedata.category(value[start]) == "Cf"):
        start += 1
    while end > start and (value[end - 1].isspace() or unicodedata.category(value[end - 1]) == "Cf"):
        end -= 1
    return value[start:end]


def _scheme_probe(value: str) -> str:
    """What a browser would see as the scheme: escapes decoded, controls and spaces removed."""
    decoded = value
    for _ in range(3):
        decoded = unquote(decoded)
    return "".join(ch for ch in decoded if not (ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")))


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host  # keep what was typed; analysts see it as text


def normalize_url(raw: str) -> NormalizedUrl:
    """Normalize one typed address; raise `UrlError` (``url-scheme`` or ``url-invalid``)."""
    typed = _strip(raw)
    value = typed
    for pattern, repl in _REFANG:
        value = pattern.sub(repl, value)
    probe = _scheme_probe(value)
    match = _SCHEME.match(probe)
    if match and match.group(1).lower() not in _WEB_SCHEMES:
        # "example.com:8080/x" parses as scheme "example.com": a host with a port, not a scheme.
        if not re.match(r"^[a-zA-Z0-9.\-]+\.[a-zA-Z0-9\-]+:\d", probe):
            raise UrlError("url-scheme")
    if not match or match.group(1).lower() not in _WEB_SCHEMES:
        value = "https://" + value.lstrip("/")
    parts = urlsplit(value)
    if parts.scheme.lower() not in _WEB_SCHEMES:
        raise UrlError("url-scheme")
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal, RFC 3986 §3.2.2
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise UrlError("url-invalid") from None
        host_out = f"[{host}]"
    elif not host or not _HOST_LABEL.match(host):
        raise UrlError("url-invalid")
    else:
        host_out = host if host.isascii() else _idna(host)
    try:
        port = parts.port
    except ValueError:
        raise UrlError("url-invalid") from None
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (userinfo + "@" if userinfo else "") + host_out + (f":{port}" if port is not None else "")
    normalized = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment))
    return NormalizedUrl(typed=typed, normalized=normalized)
