"""Parse and validate a report (DESIGN.md, "Form → function").

Errors form a small tree, mapped to HTTP in one place (`reportal.submit.app`)::

    ReportError
    ├── Forbidden(reason)               → 403 (the CDN's secret header is missing or wrong)
    ├── InvalidReport(errors, fields)   → 400, each `FieldError(field, code)`
    │   └── OriginRefused(fields)       → 403 (a foreign Origin)
    └── QueueUnavailable                → 503 (sending failed; nothing was accepted)

Lengths are counted in code points, as a browser's ``maxlength`` counts them
(HTML Living Standard, "length of a string" counts UTF-16 units; for astral characters
we are the more lenient of the two), so whatever a form allowed is accepted.
"""
from __future__ import annotations

import codecs
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import parse_qs

from reportal import fields as report_fields
from reportal.fields import Field
from reportal.submit.urls import UrlError, active_scheme, normalize_url, strip_space

__all__ = [
    "MAX_BODY_BYTES", "MAX_PAIRS", "MAX_PARSE_BYTES", "FieldError", "Forbidden", "InvalidReport", "OriginRefused",
    "QueueUnavailable", "Report", "ReportError", "is_honeypot", "parse_form", "validate_report",
]

MAX_BODY_BYTES = 64 * 1024
# A form within every maxlength can be larger than the cap (10 URLs of 8,192 characters, each
# non-ASCII character 9 bytes percent-encoded: about 860 KB): bodies up to this size are still
# parsed so the 400 page gives back what was typed.
MAX_PARSE_BYTES = 16 * MAX_BODY_BYTES
# The report form sends about a dozen name=value pairs (three url inputs, the 400 page at most
# eleven); a body of more is not from it.
MAX_PAIRS = 1000
_SURROGATE = re.compile("[\ud800-\udfff]")
_MEDIA_TYPES = ("", "application/x-www-form-urlencoded", "application/json")
# Read unchanged by every charset a form may declare; not by the escape
# codecs (backslashes) or ASCII-incompatible ones (utf-16, EBCDIC).
_ASCII_PROBE_TEXT = "Portal=BZ&url=a.example%2F%3Fq%3D1+x-_*~.\\u"
_ASCII_PROBE = _ASCII_PROBE_TEXT.encode("ascii")
# The hidden fields come first in the form (templates/report.html): read them from the start
# of a body that cannot be parsed (urlencoded, text/plain or multipart), to answer in the
# reporter's language.
_RECOVER_BYTES = 4096
_HIDDEN_PAIR = r"(?:^|[&\r\n])({names})=([A-Za-z0-9_\-]{{1,35}})(?=[&\r\n]|$)"
_HIDDEN_PART = r'name="({names})"\r?\n\r?\n([A-Za-z0-9_\-]{{1,35}})\r?\n'


@dataclass(frozen=True)
class FieldError:
    """One problem: the form `field` it concerns, a stable `code` (``url-scheme``…) and, for
    a repeated field, the 0-based `index` of the value among those sent."""

    field: str
    code: str
    index: int | None = None


class ReportError(Exception):
    """Base of every error the submission route maps to an HTTP answer."""


class Forbidden(ReportError):
    """The request did not come through the CDN (403); `reason` is the refusal code logged."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidReport(ReportError):
    """The report cannot be accepted as sent (`status` 400); `errors` lists every problem
    found, `fields` what was sent (to give it back)."""

    status = 400

    def __init__(self, errors: list[FieldError], fields: Mapping[str, list[str]] | None = None):
        super().__init__(", ".join(f"{e.field}:{e.code}" for e in errors))
        self.errors = errors
        self.fields: Mapping[str, list[str]] = fields or {}


class OriginRefused(InvalidReport):
    """The form was posted from a foreign or unreadable Origin (403), though it may be valid."""

    status = 403

    def __init__(self, fields: Mapping[str, list[str]] | None = None):
        super().__init__([FieldError("origin", "origin-refused")], fields)


class QueueUnavailable(ReportError):
    """Sealing or sending failed: the reporter must be told to try again (503)."""


@dataclass
class Report:
    """A validated report, the plaintext of envelope v1 (`as_envelope()`).

    `answers` holds every optional field (`reportal.fields`) by name, None when left empty;
    ``report.notes`` reads ``report.answers["notes"]``."""

    portal: str
    lang: str
    urls: list[dict[str, str]]
    answers: dict[str, str | None] = field(default_factory=dict)
    report_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    received_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"))

    def __getattr__(self, name: str) -> str | None:
        answers = self.__dict__.get("answers", {})
        if name in answers:
            return answers[name]
        raise AttributeError(name)

    def as_envelope(self) -> dict[str, Any]:
        """The envelope v1 plaintext fields, in contract order (`reportal.fields.FIELDS`)."""
        plaintext: dict[str, Any] = {"report_id": self.report_id, "received_at": self.received_at}
        fixed = {"portal": self.portal, "lang": self.lang, "url": self.urls}
        for f in report_fields.envelope_fields():
            plaintext[f.envelope] = fixed[f.name] if f.name in fixed else self.answers.get(f.name)
        return plaintext


def _no_surrogates(value: str) -> str:
    # A lone surrogate (JSON "\ud800") cannot be encoded as UTF-8: replace it with U+FFFD.
    # (json.loads already joins a valid pair "\ud83d\ude00" into one code point.)
    return _SURROGATE.sub("\ufffd", value)


def _charset(content_type: str) -> str:
    """The ``charset`` parameter if it names an ASCII-compatible text encoding (a form may say
    ``windows-1252``), else UTF-8. ``rot13``, ``base64``, ``zlib``… are codecs but not text
    encodings, and ``utf-16`` cannot read an urlencoded body (ASCII bytes): both become UTF-8,
    as WHATWG "get an output encoding" turns UTF-16 into UTF-8."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            try:
                codec = codecs.lookup(value.strip().strip('"'))
                readable = (codec._is_text_encoding and _ASCII_PROBE.decode(codec.name) == _ASCII_PROBE_TEXT
                            and bool(b"\xe9".decode(codec.name, "replace")))  # idna cannot "replace"
            except (LookupError, UnicodeError, ValueError):
                readable = False
            return codec.name if readable else "utf-8"
    return "utf-8"


def _names() -> list[str]:
    return [f.name for f in report_fields.FIELDS]


class _Repeated(list):
    """The values of a JSON key given more than once in one object, in order."""


def _keep_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads` object hook: a key given twice keeps every value (`_Repeated`), where the
    standard parser would silently keep the last."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key not in data:
            data[key] = value
        elif isinstance(data[key], _Repeated):
            data[key].append(value)
        else:
            data[key] = _Repeated([data[key], value])
    return data


def _parse_json(body: bytes) -> dict[str, list[str]]:
    try:
        data = json.loads(body.decode("utf-8-sig", "replace"), object_pairs_hook=_keep_repeats)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested deeper than the stack
        raise InvalidReport([FieldError("body", "body-invalid")]) from None
    if not isinstance(data, dict):
        raise InvalidReport([FieldError("body", "body-invalid")])
    fields: dict[str, list[str]] = {}
    errors = []
    for key in _names():  # unknown keys are ignored, never echoed
        value = data.get(key)
        if value is None:
            continue
        given = value if isinstance(value, _Repeated) else [value]
        values = [v for item in given for v in (item if isinstance(item, list) else [item])]
        if not all(isinstance(v, str) for v in values):
            errors.append(FieldError(key, "field-type"))
            continue
        fields[key] = [_no_surrogates(v) for v in values]
    if errors:
        raise InvalidReport(errors, fields)
    return fields


def _parse_urlencoded(body: bytes, charset: str) -> dict[str, list[str]]:
    """Raises `InvalidReport` ``body-invalid`` (with the hidden fields) for more than
    `MAX_PAIRS` name=value pairs: no form of ours sends that many, and parsing them all is
    the one cost that would grow with a hostile body (210,000 empty ``url=`` in 1 MiB)."""
    if body.count(b"&") >= MAX_PAIRS:  # parse_qs's own max_num_fields counts the same way
        raise InvalidReport([FieldError("body", "body-invalid")], _hidden_fields(body))
    try:
        parsed = parse_qs(body.decode(charset, "replace"), keep_blank_values=True, encoding=charset,
                          errors="replace")
    except (UnicodeError, LookupError, ValueError):  # a codec that cannot "replace" (idna, undefined)
        parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
    return {key: [_no_surrogates(v) for v in parsed[key]] for key in _names() if key in parsed}


def _hidden_fields(body: bytes) -> dict[str, list[str]]:
    """``portal`` and ``lang`` read from the first 4 KiB of a body that cannot be parsed
    whole, as ``name=value`` pairs or multipart parts; {} if neither is found."""
    start = body[:_RECOVER_BYTES].decode("latin-1")
    names = "|".join(re.escape(f.name) for f in report_fields.FIELDS if f.kind == "context")
    found: dict[str, list[str]] = {}
    for pattern in (_HIDDEN_PAIR, _HIDDEN_PART):
        for name, value in re.findall(pattern.format(names=names), start):
            found.setdefault(name, [value])
    return found


def parse_form(body: bytes, content_type: str) -> dict[str, list[str]]:
    """Parse a urlencoded (default when the type is missing) or JSON body into
    ``{field: [values]}`` holding only the contract's fields, repeated values in order.

    Invalid UTF-8 becomes U+FFFD, never an error. Raises `InvalidReport` with field
    ``body`` and code ``body-too-large`` (over `MAX_BODY_BYTES` bytes, DESIGN.md; the fields
    are still parsed, up to `MAX_PARSE_BYTES`, so the answer can give them back),
    ``body-type`` (neither form nor JSON) or ``body-invalid`` (JSON that is not an object);
    ``field-type`` for a JSON value that is neither a string nor a list of strings. A JSON key
    given twice keeps both values, as a repeated form field does (`validate_report` decides). When
    the body is not parsed (another type, or over `MAX_PARSE_BYTES`), the error carries the
    ``portal`` and ``lang`` read from its start, so the answer is in the reporter's language.
    """
    media = content_type.split(";")[0].strip().lower()
    if media not in _MEDIA_TYPES:
        raise InvalidReport([FieldError("body", "body-type")], _hidden_fields(body))
    too_large = len(body) > MAX_BODY_BYTES
    if too_large and len(body) > MAX_PARSE_BYTES:
        raise InvalidReport([FieldError("body", "body-too-large")], _hidden_fields(body))
    try:
        fields = _parse_json(body) if media == "application/json" else _parse_urlencoded(body, _charset(content_type))
    except InvalidReport as exc:
        if too_large:
            raise InvalidReport([FieldError("body", "body-too-large")], exc.fields) from None
        raise exc from None
    if too_large:
        raise InvalidReport([FieldError("body", "body-too-large")], fields)
    return fields


def _one(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


def _text_length(text: str) -> int:
    # A textarea's maxlength counts a line break as one character, but the browser submits
    # it as CRLF (HTML Living Standard, "textarea" API value vs. form submission value).
    return len(text.replace("\r\n", "\n"))


def _check_urls(f: Field, fields: Mapping[str, list[str]], errors: list[FieldError]) -> list[dict[str, str]]:
    """Every non-empty value, in order; empty ones (the form's spare inputs) dropped.
    `index` in errors is the value's position among all values sent (the form input)."""
    sent = list(enumerate(fields.get(f.name, [])))
    typed = [(i, u) for i, u in sent if strip_space(u)]
    if not typed:
        errors.append(FieldError(f.name, "url-missing", 0))
        return []
    if len(typed) > f.max_values:  # only the first max_values are checked: work stays bounded
        errors.append(FieldError(f.name, "url-too-many", typed[f.max_values][0]))
    urls = []
    for index, raw in typed[:f.max_values]:
        if f.max_chars is not None and len(raw) > f.max_chars:
            errors.append(FieldError(f.name, f.too_long_code, index))
            continue
        try:
            normalized = normalize_url(raw)
        except UrlError as exc:
            errors.append(FieldError(f.name, exc.code, index))
            continue
        urls.append({"typed": normalized.typed, "normalized": normalized.normalized})
    return urls


def _check_address(f: Field, value: str, errors: list[FieldError]) -> str | None:
    """The value as typed, trimmed, never rewritten: an address or text ("Telegram:
    @channel", "a chat group"). Only an active scheme (`active_scheme`) or more than
    `max_chars` code points is refused."""
    address = strip_space(value) or None
    if address is None:
        return None
    if f.max_chars is not None and len(address) > f.max_chars:
        errors.append(FieldError(f.name, f.too_long_code))
    elif active_scheme(address):
        errors.append(FieldError(f.name, "url-scheme"))
    return address


def _check_email(f: Field, value: str, errors: list[FieldError]) -> str | None:
    """Loose check (RFC 5321 §4.5.3.1 length; any Unicode local part, RFC 6531)."""
    email = strip_space(value) or None
    if email is None:
        return None
    local, at, domain = email.rpartition("@")
    if f.max_chars is not None and len(email) > f.max_chars:
        errors.append(FieldError(f.name, f.too_long_code))
    elif not at or not local or "." not in domain.strip(".") or any(ch.isspace() for ch in email):
        errors.append(FieldError(f.name, "email-invalid"))
    return email


def _check_choice(f: Field, value: str, errors: list[FieldError]) -> str | None:
    choice = value or None
    if choice is not None and choice not in {c.value for c in f.choices}:
        errors.append(FieldError(f.name, f"{f.name}-invalid"))
    return choice


def _check_text(f: Field, value: str, errors: list[FieldError]) -> str | None:
    """Free text, kept exactly as typed (a text kind) or trimmed (a line kind)."""
    text = (value if f.kind == "text" else strip_space(value)) or None
    if text is not None and f.max_chars is not None and _text_length(text) > f.max_chars:
        errors.append(FieldError(f.name, f.too_long_code))
    return text


_CHECKS = {"address": _check_address, "email": _check_email, "choice": _check_choice, "text": _check_text,
           "line": _check_text}


def is_honeypot(fields: Mapping[str, list[str]]) -> bool:
    """True if a honeypot field (hidden from people, filled by bots: ``trap``) holds text."""
    return any(strip_space(value) for f in report_fields.FIELDS if f.kind == "honeypot"
               for value in fields.get(f.name, []))


def validate_report(fields: Mapping[str, list[str]], site: Mapping[str, Any]) -> Report:
    """Check every field of the form contract (`reportal.fields.FIELDS`, DESIGN.md) against
    `site` (portal code → {"languages": [...]}).

    Returns a `Report`; raises `InvalidReport` listing every bad field, in form order. Lengths
    are in code points, each within its field's `max_chars` (notes: CRLF counted as one); at
    most `max_values` non-empty urls (only those are checked). A field that is not repeatable
    but was sent several times (a repeated form field, a JSON list or a key given twice) is
    ``field-repeated``: which value would the reporter have meant? The honeypot is not checked
    here (`is_honeypot`).
    """
    errors: list[FieldError] = [FieldError(f.name, "field-repeated") for f in report_fields.FIELDS
                                if not f.repeatable and f.kind != "honeypot" and len(fields.get(f.name) or ()) > 1]
    portal, lang = _one(fields, "portal"), _one(fields, "lang")
    if portal not in site:
        errors.append(FieldError("portal", "portal-unknown"))
    elif lang not in site[portal]["languages"]:
        errors.append(FieldError("lang", "lang-unknown"))
    urls: list[dict[str, str]] = []
    answers: dict[str, str | None] = {}
    for f in report_fields.FIELDS:
        if f.kind == "url":
            urls = _check_urls(f, fields, errors)
        elif f.kind in _CHECKS:
            answers[f.name] = _CHECKS[f.kind](f, _one(fields, f.name), errors)
    if errors:
        raise InvalidReport(errors, fields)
    return Report(portal=portal, lang=lang, urls=urls, answers=answers)
