"""Normalize what a reporter typed as a web address, keeping the typed text beside it.

Rules (DESIGN.md, "URL handling"): trim Unicode whitespace; refang ``hxxp(s)``, ``[.]``,
``(.)``, ``[:]``, ``[://]``; no scheme → ``https://``; IDN hosts kept as typed plus their
IDNA form (UTS #46 non-transitional, as browsers do, so ``faß.de`` stays distinct from
``fass.de``); ``.onion``, IPv4 and IPv6 literals accepted; no DNS and no TLD list.

Active or local schemes (``javascript:``, ``data:``, ``vbscript:``, ``file:``…, in any case,
with embedded whitespace, control characters, percent-escapes or HTML character references
such as ``&colon;``) are refused (`active_scheme`). A word followed by a colon and a space
("Telegram: @channel", "File: https://x.example/a.jpg") is a label, not a scheme, except for
the script schemes, which a browser runs even then (``javascript: alert(1)``).

A pasted message yields its one web address: "File: https://x.example/a.jpg" (a label and one
address) or "look at https://x.example/y please" (exactly one http(s) address). A backslash
before the query is a slash, as in a browser (WHATWG URL, special schemes), so
``https://x.example\\@evil.example`` goes to ``x.example``. A host must be something a browser
could open: DNS letters, digits, ``-``, ``_`` and dots (IDN letters through IDNA), with a dot,
or an IP literal, or ``localhost``. Nothing is ever truncated; whitespace, control and format
characters (U+202E, U+200B…) in the normalized form are percent-encoded (RFC 3986 §2.1).
"""
from __future__ import annotations

import html
import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from reportal.fields import MAX_URL_CHARS  # code points; the form's maxlength

__all__ = ["MAX_URL_CHARS", "NormalizedUrl", "UrlError", "active_scheme", "normalize_url", "strip_space"]


_REFANG = [
    (re.compile(r"^hxxp(s?)", re.I), r"http\1"),
    (re.compile(r"\[://\]"), "://"),
    (re.compile(r"\[:\]"), ":"),
    (re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]", re.I), "."),
]
_SCHEME_WORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*$")  # RFC 3986 §3.1
_WEB_SCHEMES = {"http", "https", "ftp"}
# "example.com:8080/x" and "localhost:3000" parse as a scheme: they are a host and a port.
_HOST_PORT = re.compile(r"^[a-zA-Z0-9.\-]+:\d{1,5}(?:[/?#]|$)")
# "user:pass@example.com" parses as a scheme too: it is a login and a host...
_LOGIN = re.compile(r"^[^/?#@\\\s]*@")
# ...unless the word is a scheme registered for addresses that are not web pages (IANA).
_NON_WEB = {"mailto", "xmpp", "sip", "sips", "im", "pres", "acct", "tel", "sms", "news", "nntp", "urn",
            "magnet", "geo", "callto", "skype", "facetime", "tg", "whatsapp", "irc", "ircs", "ssh", "sftp",
            "git", "ldap", "smb", "telnet", "matrix", "session"}
# Schemes a browser runs or reads locally: refused even when they look like host:port.
_ACTIVE = {"javascript", "data", "vbscript", "file", "about", "blob", "filesystem", "view-source",
           "jar", "livescript", "mocha", "chrome", "resource", "ms-its", "mhtml"}
_SCRIPT = {"javascript", "vbscript", "livescript", "mocha"}  # run code even as "javascript: x"
_DNS_HOST = re.compile(r"^[A-Za-z0-9_\-.]+$")  # after IDNA; WHATWG forbidden code points excluded
_LABELLED = re.compile(r"^[^\s:]{1,40}:\s+(\S+)$")  # "File: https://x.example/a.jpg"
_EMBEDDED = re.compile(r"(?:hxxps?|https?)(?:://|\[://\]|\[:\]//)\S+", re.I)
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x21-\x7e]")


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
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


def _is_label_space(ch: str) -> bool:
    # A space a browser keeps (it removes tab and newline: WHATWG URL parser, step 3).
    return ch == " " or unicodedata.category(ch) == "Zs"


def strip_space(value: str) -> str:
    """Trim Unicode whitespace, controls and format characters (U+200B, U+FEFF…) at both ends."""
    start, end = 0, len(value)
    while start < end and _is_space(value[start]):
        start += 1
    while end > start and _is_space(value[end - 1]):
        end -= 1
    return value[start:end]


def _refang(value: str) -> str:
    for pattern, repl in _REFANG:
        value = pattern.sub(repl, value)
    return value


def _decode(value: str) -> str:
    """Percent-escapes and HTML character references (``&colon;``, ``&#58;``) decoded, three layers deep."""
    for _ in range(3):
        decoded = html.unescape(unquote(value))
        if decoded == value:
            break
        value = decoded
    return value


def _scheme_of(value: str, ignore_spaces: bool) -> tuple[str, str] | None:
    """``(scheme in lower case, text after the colon)``, or None when `value` starts with no
    scheme or with a label ("Note: …"). Controls and format characters before the colon are
    ignored (a browser removes tabs and newlines); spaces too if `ignore_spaces`."""
    head, colon, tail = value.partition(":")
    if not colon:
        return None
    skip = _is_space if ignore_spaces else (lambda ch: unicodedata.category(ch) in ("Cc", "Cf"))
    word = "".join(ch for ch in head if not skip(ch))
    if not _SCHEME_WORD.match(word):
        return None
    if tail[:1] and _is_label_space(tail[0]) and word.lower() not in _SCRIPT:
        return None
    return word.lower(), tail


def active_scheme(value: str) -> bool:
    """True if a browser would run `value` or read it locally (``javascript:``, ``data:``,
    ``file:``…), as typed or once refanged, after decoding percent-escapes and HTML character
    references and ignoring whitespace and controls before the colon. "Data: https://…" (a word,
    a colon, a space) is a label and not active; "javascript: x" is always active."""
    for candidate in (value, _refang(value)):
        found = _scheme_of(_decode(candidate), ignore_spaces=True)
        if found is not None and found[0] in _ACTIVE:
            return True
    return False


def _idna(host: str) -> str:
    """ASCII form of an internationalized host (UTS #46 non-transitional, IDNA 2003 fallback);
    the host unchanged if neither can encode it."""
    import idna  # lazy: only non-ASCII hosts pay for it

    try:
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:
        return host.encode("idna").decode("ascii")  # allows symbols such as "i❤.ws"
    except UnicodeError:
        return host


def _encode_char(match: re.Match[str]) -> str:
    ch = match.group(0)
    return quote(ch, safe="") if _is_space(ch) else ch


def _encode(part: str) -> str:
    """Percent-encode whitespace, control and format characters only; leave the rest as typed."""
    return _NOT_PRINTABLE_ASCII.sub(_encode_char, part)


def _plausible(host: str) -> bool:
    """A host a browser could reach: a name with a dot, a dotted IPv4 literal, or localhost."""
    name = host.rstrip(".").lower()
    return "." in name or name == "localhost"


def _host(parts) -> str:  # noqa: ANN001 - urllib's SplitResult
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal, RFC 3986 §3.2.2
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            raise UrlError("url-invalid") from None
        return f"[{host}]"
    if not host or host.startswith(".") or ".." in host:
        raise UrlError("url-invalid")
    ascii_host = host if host.isascii() else _idna(host)
    if not _DNS_HOST.match(ascii_host) or not _plausible(ascii_host):
        raise UrlError("url-invalid")
    return ascii_host


def _backslashes_as_slashes(value: str) -> str:
    """WHATWG URL: in http(s) and ftp URLs a ``\\`` before the query or fragment is a ``/``."""
    end = min((i for i in (value.find("?"), value.find("#")) if i >= 0), default=len(value))
    return value[:end].replace("\\", "/") + value[end:]


def _normalize(value: str) -> str:
    value = _refang(value)
    if active_scheme(value):
        raise UrlError("url-scheme")
    value = value.replace("\t", "").replace("\n", "").replace("\r", "")  # as a browser does
    found = _scheme_of(value, ignore_spaces=False)
    if found is not None and found[0] not in _WEB_SCHEMES:
        if not (_HOST_PORT.match(value) or (found[0] not in _NON_WEB and _LOGIN.match(found[1]))):
            raise UrlError("url-scheme")
        found = None  # a host and port, or a login and host
    value = f"{found[0]}:{found[1]}" if found else "https://" + value.lstrip("/\\")
    try:
        parts = urlsplit(_backslashes_as_slashes(value))
        port = parts.port
    except ValueError:
        raise UrlError("url-invalid") from None
    if parts.scheme.lower() not in _WEB_SCHEMES:
        raise UrlError("url-scheme")
    if any(_is_label_space(ch) for ch in parts.netloc):  # "https://Telegram: @x.example"
        raise UrlError("url-invalid")
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


def _pasted_address(typed: str) -> str | None:
    """The one address in a pasted message: after a label ("File: x.example/a.jpg"), or the
    only http(s) address in the text; None if there is none or more than one."""
    labelled = _LABELLED.match(typed)
    if labelled:
        return labelled.group(1)
    found = _EMBEDDED.findall(typed)
    return found[0] if len(found) == 1 else None


def normalize_url(raw: str) -> NormalizedUrl:
    """Normalize one typed address (any length: nothing is truncated).

    Returns `NormalizedUrl(typed, normalized)`. Raises `UrlError` with code ``url-scheme``
    (an active, local or other non-web scheme) or ``url-invalid`` (no plausible host, a bad
    port or IPv6 literal). Pure: no DNS, no network, no TLD list.
    """
    typed = strip_space(raw)
    if not typed:
        raise UrlError("url-invalid")
    if active_scheme(typed):
        raise UrlError("url-scheme")
    try:
        return NormalizedUrl(typed, _normalize(_bracket_bare_ipv6(typed)))
    except UrlError:
        pasted = _pasted_address(typed) if any(_is_space(ch) for ch in typed) else None
        if pasted is None:
            raise
    return NormalizedUrl(typed, _normalize(pasted))
