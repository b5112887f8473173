"""Parse and validate a report (DESIGN.md, "Form → function").

Errors form a small tree, mapped to HTTP in one place (`reportal.submit.app`)::

    ReportError
    ├── InvalidReport(errors)   → 400, each `FieldError(field, code)`
    └── QueueUnavailable        → 503 (sealing or sending failed; nothing was accepted)

Lengths are counted in code points, as a browser's ``maxlength`` counts them
(HTML Living Standard, "length of a string" counts UTF-16 units; for astral characters
we are the more lenient of the two), so whatever a form allowed is accepted.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import parse_qs

from reportal.submit.urls import MAX_URL_CHARS, UrlError, normalize_url

__all__ = [
    "KINDS", "MAX_BODY_BYTES", "MAX_NOTES_CHARS", "MAX_URLS", "FieldError", "InvalidReport",
    "QueueUnavailable", "Report", "ReportError", "parse_form", "validate_report",
]

MAX_BODY_BYTES = 64 * 1024
MAX_URLS = 10
MAX_NOTES_CHARS = 5000
MAX_EMAIL_CHARS = 320  # RFC 3696 §3: 64 local + @ + 255 domain
KINDS = ("image", "video", "website", "other")
FIELDS = ("portal", "lang", "url", "kind", "notes", "referrer", "email", "website")


@dataclass(frozen=True)
class FieldError:
    """One problem: the form `field` it concerns and a stable `code` (``url-scheme``…)."""

    field: str
    code: str


class ReportError(Exception):
    """Base of every error the submission route maps to an HTTP answer."""


class InvalidReport(ReportError):
    """The report cannot be accepted as sent (400); `errors` lists every problem found."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(", ".join(f"{e.field}:{e.code}" for e in errors))
        self.errors = errors


class QueueUnavailable(ReportError):
    """Sealing or sending failed: the reporter must be told to try again (503)."""


@dataclass
class Report:
    """A validated report, the plaintext of envelope v1 (`as_envelope()`)."""

    portal: str
    lang: str
    urls: list[dict[str, str]]
    kind: str | None = None
    notes: str | None = None
    referrer: str | None = None
    email: str | None = None
    honeypot: bool = False
    report_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    received_at: str = field(
        default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"))

    def as_envelope(self) -> dict[str, Any]:
        """The envelope v1 plaintext fields, in contract order."""
        return {
            "report_id": self.report_id, "received_at": self.received_at, "portal": self.portal,
            "lang": self.lang, "urls": self.urls, "kind": self.kind, "notes": self.notes,
            "referrer": self.referrer, "email": self.email,
        }


def _no_surrogates(value: str) -> str:
    # A lone surrogate (JSON "\ud800") cannot be encoded as UTF-8: replace it with U+FFFD.
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if any(
        0xD800 <= ord(ch) <= 0xDFFF for ch in value) else value


def parse_form(body: bytes, content_type: str) -> dict[str, list[str]]:
    """Parse a urlencoded or JSON body into ``{field: [values]}``.

    Invalid UTF-8 becomes U+FFFD (never an error). Raises `InvalidReport` with field
    ``body`` for a body over 64 KiB (``body-too-large``) or one that is not a JSON object
    of strings / lists of strings (``body-invalid``).
    """
    if len(body) > MAX_BODY_BYTES:
        raise InvalidReport([FieldError("body", "body-too-large")])
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(body.decode("utf-8", "replace"))
        except ValueError:
            raise InvalidReport([FieldError("body", "body-invalid")]) from None
        if not isinstance(data, dict):
            raise InvalidReport([FieldError("body", "body-invalid")])
        fields: dict[str, list[str]] = {}
        errors = []
        for key, value in data.items():
            values = value if isinstance(value, list) else [value]
            if value is None:
                continue
            if not all(isinstance(v, str) for v in values):
                errors.append(FieldError(str(key), "field-type"))
                continue
            fields[key] = [_no_surrogates(v) for v in values]
        if errors:
            raise InvalidReport(errors)
        return fields
    text = body.decode("utf-8", "replace")
    return parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="replace")


def _one(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0]


def validate_report(fields: Mapping[str, list[str]], site: Mapping[str, Any]) -> Report:
    """Check every field of the form contract against `site` (portal code → {"languages"}).

    Returns a `Report` (``honeypot=True`` if the hidden ``website`` field was filled);
    raises `InvalidReport` listing every bad field.
    """
    errors: list[FieldError] = []
    portal, lang = _one(fields, "portal"), _one(fields, "lang")
    if portal not in site:
        errors.append(FieldError("portal", "portal-unknown"))
    elif lang not in site[portal]["languages"]:
        errors.append(FieldError("lang", "lang-unknown"))

    urls: list[dict[str, str]] = []
    typed = [u for u in fields.get("url", []) if u.strip()]
    if not typed:
        errors.append(FieldError("url", "url-missing"))
    elif len(typed) > MAX_URLS:
        errors.append(FieldError("url", "url-too-many"))
    for raw in typed[:MAX_URLS] if len(typed) <= MAX_URLS else []:
        if len(raw) > MAX_URL_CHARS:
            errors.append(FieldError("url", "url-too-long"))
            continue
        try:
            n = normalize_url(raw)
        except UrlError as exc:
            errors.append(FieldError("url", exc.code))
            continue
        urls.append({"typed": n.typed, "normalized": n.normalized})

    kind = _one(fields, "kind") or None
    if kind is not None and kind not in KINDS:
        errors.append(FieldError("kind", "kind-invalid"))
    notes = _one(fields, "notes") or None
    if notes is not None and len(notes) > MAX_NOTES_CHARS:
        errors.append(FieldError("notes", "notes-too-long"))
    referrer = _one(fields, "referrer").strip() or None
    if referrer is not None:
        if len(referrer) > MAX_URL_CHARS:
            errors.append(FieldError("referrer", "url-too-long"))
        else:
            try:
                referrer = normalize_url(referrer).normalized
            except UrlError as exc:
                errors.append(FieldError("referrer", exc.code))
    email = _one(fields, "email").strip() or None
    if email is not None:
        local, at, domain = email.rpartition("@")
        if len(email) > MAX_EMAIL_CHARS:
            errors.append(FieldError("email", "email-too-long"))
        elif not at or not local or "." not in domain or any(ch.isspace() for ch in email):
            errors.append(FieldError("email", "email-invalid"))
    if errors:
        raise InvalidReport(errors)
    return Report(portal=portal, lang=lang, urls=urls, kind=kind, notes=notes, referrer=referrer,
                  email=email, honeypot=bool(_one(fields, "website").strip()))
