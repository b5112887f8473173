"""Envelope v1: a report sealed with age to the hotline's recipients (DESIGN.md, "Envelope v1").

Plaintext is UTF-8 JSON ``{report_id, received_at, portal, lang, urls: [{typed, normalized}],
kind, notes, referrer, email}`` (the fields of `reportal.fields.FIELDS`, in that order) padded with spaces (still valid JSON, RFC 8259 §2) to a
multiple of 1,024 bytes, so the size of an envelope reveals little about the report.
The sealed age file (https://age-encryption.org/v1) is base64-encoded (RFC 4648 §4) for the
SQS body; its only message attribute is ``v`` = ``1`` (SSE does not encrypt attributes).

The function holds recipients (public keys) only; opening needs an identity, which only
the inbox on the hotline's premises holds. Errors::

    EnvelopeError                 a recipient or identity is bad, sealing or opening failed
    └── EnvelopeTooLarge          the SQS message would exceed the queue's MaximumMessageSize
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

from reportal import fields as report_fields

__all__ = [
    "ENVELOPE_VERSION", "MAX_RECIPIENTS", "MESSAGE_ATTRIBUTES", "PAD_BYTES", "SQS_MAX_MESSAGE_BYTES", "VERSION_ATTRIBUTE",
    "EnvelopeError", "EnvelopeTooLarge", "add_identity", "check_body", "check_plaintext", "generate_identity",
    "load_identities", "open_envelope", "pad", "parse_recipients", "recipient_of", "recipients_of", "seal",
]

ENVELOPE_VERSION = "1"
PAD_BYTES = 1024
# AWS SQS CreateQueue, attribute MaximumMessageSize: 1,024 up to 1,048,576 bytes (1 MiB, the
# SQS maximum since August 2025). infra/backend.yaml and the preview set both queues to 1 MiB,
# so the envelope of any form within the 64 KiB body cap fits (a test pins the two agree).
SQS_MAX_MESSAGE_BYTES = 1_048_576
# The one SQS message attribute of an envelope, its format version: the function sends exactly
# MESSAGE_ATTRIBUTES, the inbox receives VERSION_ATTRIBUTE and refuses any other version.
VERSION_ATTRIBUTE = "v"
MESSAGE_ATTRIBUTES = {VERSION_ATTRIBUTE: {"DataType": "String", "StringValue": ENVELOPE_VERSION}}
# SQS counts each attribute's name, data type and value towards the message size (SQS
# Developer Guide, "Amazon SQS message attributes").
_ATTRIBUTE_BYTES = sum(len(k) + len(v["DataType"]) + len(v["StringValue"]) for k, v in MESSAGE_ATTRIBUTES.items())
# Characters SQS SendMessage accepts in a body (API reference, SendMessage, MessageBody);
# moto does not enforce this set, so the function checks it before sending.
_SQS_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REPORT_ID = re.compile(r"[0-9A-Za-z_-]{1,64}\Z")
_RECEIVED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z", re.ASCII)  # ASCII digits only
_PORTAL = re.compile(r"[a-z]{2}\Z")  # ISO 3166-1 alpha-2, lower case (DESIGN.md, "Portal config")
_LANG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,8}\Z", re.ASCII)  # BCP 47 (RFC 5646 §2.1) shape
_CONTEXT = {"portal": _PORTAL, "lang": _LANG}
# The function percent-encodes what a browser would not send raw: at most 12 characters per
# code point typed (4 UTF-8 bytes × "%XX"), plus the scheme it adds.
_NORMALIZED_GROWTH = 12
# An age header of more stanzas costs the inbox's decrypter time quadratic in their number
# (reportal.inbox.guard); the function refuses more recipients than the inbox will open.
MAX_RECIPIENTS = 63


class EnvelopeError(Exception):
    """A recipient or identity is malformed, sealing failed, or an envelope cannot be opened.

    Messages never quote a secret key or a report's content."""


class EnvelopeTooLarge(EnvelopeError):
    """The SQS message (body plus attributes) would be `size` bytes, over `limit`."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"sealed report is {size} bytes; the queue accepts at most {limit}")
        self.size, self.limit = size, limit


def parse_recipients(values: list[str]) -> list[x25519.Recipient]:
    """Parse age X25519 recipients (``age1…``), dropping repeats.

    Raises `EnvelopeError` if there is none, if one is malformed, or if a secret key
    (``AGE-SECRET-KEY-1…``) was given where a public recipient belongs (never quoted back).
    """
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not cleaned:
        raise EnvelopeError("no age recipient configured")
    if len(cleaned) > MAX_RECIPIENTS:
        raise EnvelopeError(f"{len(cleaned)} recipients; the inbox opens envelopes of at most {MAX_RECIPIENTS}")
    recipients = []
    for index, value in enumerate(cleaned, 1):
        if value.upper().startswith("AGE-SECRET-KEY-"):
            raise EnvelopeError(f"recipient #{index} is a secret key: give its public recipient (age1…) instead, "
                                "and treat that key as leaked")
        try:
            recipients.append(x25519.Recipient.from_str(value))
        except pyrage.RecipientError as exc:
            raise EnvelopeError(f"recipient #{index} ({value[:12]}…) is not an age X25519 recipient") from exc
    return recipients


def pad(plaintext: bytes, block: int = PAD_BYTES) -> bytes:
    """Pad JSON `plaintext` with spaces to a multiple of `block` bytes (at least one block)."""
    size = max(block, -(-len(plaintext) // block) * block)
    return plaintext + b" " * (size - len(plaintext))


def check_body(body: str, max_message_bytes: int = SQS_MAX_MESSAGE_BYTES) -> None:
    """Check an SQS body before sending: only characters SendMessage accepts, and body plus
    the ``v`` attribute within `max_message_bytes` (UTF-8 bytes, as SQS counts).

    Raises `EnvelopeError` (bad character) or `EnvelopeTooLarge`."""
    if _SQS_FORBIDDEN.search(body):
        raise EnvelopeError("body holds a character SQS does not accept")
    size = len(body.encode("utf-8", "surrogatepass")) + _ATTRIBUTE_BYTES
    if size > max_message_bytes:
        raise EnvelopeTooLarge(size, max_message_bytes)


def seal(report: dict[str, Any], recipients: list[x25519.Recipient],
         max_message_bytes: int = SQS_MAX_MESSAGE_BYTES) -> str:
    """Seal `report` to every recipient; return the ASCII (base64) SQS body.

    `max_message_bytes` is the queue's MaximumMessageSize (default: SQS's default).
    Raises `EnvelopeError` if there is no recipient, age fails or returns nothing, and
    `EnvelopeTooLarge` if the message would not fit: nothing must be sent then.
    """
    if not recipients:
        raise EnvelopeError("no age recipient configured")
    plaintext = pad(json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    try:
        sealed = pyrage.encrypt(plaintext, list(recipients))
    except (pyrage.EncryptError, TypeError) as exc:
        raise EnvelopeError(f"sealing failed: {type(exc).__name__}") from exc
    if not sealed:
        raise EnvelopeError("sealing returned nothing")
    body = base64.b64encode(sealed).decode("ascii")
    check_body(body, max_message_bytes)
    return body


def open_envelope(body: str, identities: list[x25519.Identity]) -> dict[str, Any]:
    """Open an SQS body with any of `identities`; return the plaintext as a dict (not yet
    checked: see `check_plaintext`). For a trusted body (tests, tools): the inbox opens what
    the queue holds with `reportal.inbox.guard.open_message`, which bounds the work first.

    Raises `EnvelopeError` if the body is not base64, no identity opens it, or the
    plaintext is not a UTF-8 JSON object.
    """
    try:
        sealed = base64.b64decode(body.encode("ascii"), validate=True)
        plaintext = pyrage.decrypt(sealed, list(identities))
        report = json.loads(plaintext.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError, TypeError, RecursionError, pyrage.DecryptError) as exc:
        raise EnvelopeError(f"cannot open envelope: {type(exc).__name__}") from exc
    if not isinstance(report, dict):
        raise EnvelopeError("envelope plaintext is not a JSON object")
    return report


def _field_ok(f: report_fields.Field, value: Any) -> bool:
    """Whether `value` is what the function could have sealed for field `f`."""
    if f.kind == "context":
        pattern = _CONTEXT.get(f.name)
        return isinstance(value, str) and bool(pattern.match(value) if pattern else 0 < len(value) <= 64)
    if f.kind == "url":
        limit = f.max_chars or report_fields.MAX_URL_CHARS
        return isinstance(value, list) and 1 <= len(value) <= f.max_values and all(
            isinstance(u, dict) and set(u) == {"typed", "normalized"}
            and isinstance(u["typed"], str) and 0 < len(u["typed"]) <= limit
            and isinstance(u["normalized"], str) and 0 < len(u["normalized"]) <= _NORMALIZED_GROWTH * limit + 64
            for u in value)
    if value is None:
        return True
    if f.kind == "choice":  # a str first: a list or object is not hashable
        return isinstance(value, str) and value in {c.value for c in f.choices}
    if not isinstance(value, str):
        return False
    if f.max_chars is None:
        return True
    if f.kind == "text":  # a textarea's CRLF is one character of its maxlength
        return len(value) <= 2 * f.max_chars and len(value.replace("\r\n", "\n")) <= f.max_chars
    return len(value) <= f.max_chars


def check_plaintext(report: dict[str, Any]) -> dict[str, Any]:
    """Check an opened plaintext strictly against envelope v1; return it unchanged.

    Exactly `report_id`, `received_at` and the envelope keys of `reportal.fields.FIELDS`
    (optional ones may be absent or null); `report_id` 1–64 of ``[0-9A-Za-z_-]``;
    `received_at` ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, a real date); `portal` an ISO 3166-1 alpha-2
    code in lower case, `lang` a BCP 47 tag; `urls` 1–`max_values` objects of exactly `typed`
    (1–`max_chars` code points) and `normalized` (non-empty, at most 12 × `max_chars` + 64:
    percent-encoding grows a URL); a choice one of its values; every other field a string
    within its `max_chars` (a CRLF counting once in text); no lone surrogate anywhere. Every
    bound is one the submission function enforces, so nothing it sealed is refused, and none
    truncates. Raises `EnvelopeError` naming the first bad field (never its value).
    """
    def bad(field: str) -> EnvelopeError:
        return EnvelopeError(f"envelope plaintext: bad or missing {field!r}")

    if not set(report) <= {"report_id", "received_at", *(f.envelope for f in report_fields.envelope_fields())}:
        raise EnvelopeError("envelope plaintext: a key envelope v1 does not have")  # never quoted
    if not isinstance(report.get("report_id"), str) or not _REPORT_ID.match(report["report_id"]):
        raise bad("report_id")
    received = report.get("received_at")
    if not isinstance(received, str) or not _RECEIVED_AT.match(received):
        raise bad("received_at")
    try:
        datetime.strptime(received, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise bad("received_at") from None
    for f in report_fields.envelope_fields():  # in contract order: the first bad one is named
        if not _field_ok(f, report.get(f.envelope)):
            raise bad(f.envelope)
    try:  # JSON may escape a lone surrogate ("\ud800"), which no UTF-8 store can hold
        json.dumps(report, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise bad("text (a lone surrogate)") from None
    return report


def _identity_block(identity: x25519.Identity) -> str:
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    return f"# created: {created}\n# public key: {identity.to_public()}\n{identity}\n"


def generate_identity(path: Path) -> str:
    """Write a new age identity to `path` (mode 0600, age-keygen's format); return its recipient.

    Refuses to overwrite an existing file (`FileExistsError`); creates missing parent
    folders with mode 0700.
    """
    identity = x25519.Identity.generate()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(_identity_block(identity))
        fh.flush()
        os.fsync(fh.fileno())
    return str(identity.to_public())


def add_identity(path: Path) -> str:
    """Rotation: append a new identity to the existing identity file `path`, keeping the old
    ones (the inbox and ``age -d -i`` try each); return the new recipient.

    The file is replaced atomically (temporary file 0600 in the same folder, fsync, rename),
    so a crash leaves either the old or the new file. Raises `EnvelopeError` if `path` holds
    no valid identity, `FileNotFoundError` if it does not exist.
    """
    load_identities(path)  # refuse to extend a file we could not read back
    old = path.read_text(encoding="ascii")
    identity = x25519.Identity.generate()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(old if old.endswith("\n") else old + "\n")
            fh.write(_identity_block(identity))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return str(identity.to_public())


def load_identities(path: Path) -> list[x25519.Identity]:
    """Read every ``AGE-SECRET-KEY-1…`` line of an identity file (old keys kept for rotation).

    Blank lines and ``#`` comments are skipped (age-keygen's format). Raises `EnvelopeError`
    (with the line number, never the line) if a line is not an identity or there is none.
    """
    try:
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError:
        raise EnvelopeError(f"{path}: not an age identity file (not ASCII)") from None
    identities = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                identities.append(x25519.Identity.from_str(line))
            except pyrage.IdentityError as exc:
                raise EnvelopeError(f"{path}:{number}: not an age X25519 identity") from exc
    if not identities:
        raise EnvelopeError(f"{path}: no age identity")
    return identities


def recipients_of(path: Path) -> list[str]:
    """The recipients (public keys) of every identity in `path`, in file order."""
    return [str(i.to_public()) for i in load_identities(path)]


def recipient_of(path: Path) -> str:
    """The recipient (public key) of the first identity in `path`."""
    return recipients_of(path)[0]
