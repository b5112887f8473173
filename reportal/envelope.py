"""Envelope v1: a report sealed with age to the hotline's recipients.

Plaintext is UTF-8 JSON ``{report_id, received_at, portal, lang, urls: [{typed, normalized}],
kind, notes, referrer, email}`` padded with spaces (still valid JSON, RFC 8259 §2) to a
multiple of 1,024 bytes, so the size of an envelope reveals little about the report.
The sealed age file (https://age-encryption.org/v1) is base64-encoded for the SQS body,
which accepts only #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF (SQS SendMessage).

The function holds recipients (public keys) only; opening needs an identity, which only
the inbox on the hotline's premises holds.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Any

import pyrage
from pyrage import x25519

__all__ = [
    "ENVELOPE_VERSION", "PAD_BYTES", "EnvelopeError", "generate_identity", "load_identities",
    "open_envelope", "pad", "parse_recipients", "recipient_of", "seal",
]

ENVELOPE_VERSION = "1"
PAD_BYTES = 1024


class EnvelopeError(Exception):
    """A recipient or identity is malformed, sealing failed, or an envelope cannot be opened."""


def parse_recipients(values: list[str]) -> list[x25519.Recipient]:
    """Parse age X25519 recipients (``age1…``); raise `EnvelopeError` if none or any is malformed."""
    cleaned = [v.strip() for v in values if v.strip()]
    if not cleaned:
        raise EnvelopeError("no age recipient configured")
    recipients = []
    for index, value in enumerate(cleaned):
        try:
            recipients.append(x25519.Recipient.from_str(value))
        except Exception as exc:  # pyrage raises its own RecipientError / ValueError
            raise EnvelopeError(f"recipient #{index + 1} is not an age X25519 recipient") from exc
    return recipients


def pad(plaintext: bytes, block: int = PAD_BYTES) -> bytes:
    """Pad JSON `plaintext` with spaces to a multiple of `block` bytes (at least one block)."""
    size = max(block, -(-len(plaintext) // block) * block)
    return plaintext + b" " * (size - len(plaintext))


def seal(report: dict[str, Any], recipients: list[x25519.Recipient]) -> str:
    """Seal `report` to every recipient; return the ASCII (base64) SQS body.

    Raises `EnvelopeError` if age fails or returns nothing; nothing must be sent then.
    """
    plaintext = pad(json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    try:
        sealed = pyrage.encrypt(plaintext, list(recipients))
    except Exception as exc:
        raise EnvelopeError("sealing failed") from exc
    if not sealed:
        raise EnvelopeError("sealing returned nothing")
    return base64.b64encode(sealed).decode("ascii")


def open_envelope(body: str, identities: list[x25519.Identity]) -> dict[str, Any]:
    """Open an SQS body with any of `identities`; return the report dict.

    Raises `EnvelopeError` if the body is not base64, no identity opens it, or the
    plaintext is not a JSON object.
    """
    try:
        sealed = base64.b64decode(body.encode("ascii"), validate=True)
        plaintext = pyrage.decrypt(sealed, list(identities))
        report = json.loads(plaintext.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise EnvelopeError(f"cannot open envelope: {type(exc).__name__}") from exc
    except Exception as exc:  # pyrage.DecryptError and friends
        raise EnvelopeError(f"cannot open envelope: {type(exc).__name__}") from exc
    if not isinstance(report, dict):
        raise EnvelopeError("envelope plaintext is not a JSON object")
    return report


def generate_identity(path: Path) -> str:
    """Write a new age identity to `path` (mode 0600, age-keygen's format); return its recipient.

    Refuses to overwrite an existing file (`FileExistsError`).
    """
    identity = x25519.Identity.generate()
    recipient = str(identity.to_public())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(f"# public key: {recipient}\n{identity}\n")
    return recipient


def load_identities(path: Path) -> list[x25519.Identity]:
    """Read every ``AGE-SECRET-KEY-1…`` line of an identity file (old keys kept for rotation)."""
    identities = []
    for line in path.read_text(encoding="ascii").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                identities.append(x25519.Identity.from_str(line))
            except Exception as exc:
                raise EnvelopeError(f"{path}: a line is not an age identity") from exc
    if not identities:
        raise EnvelopeError(f"{path}: no age identity")
    return identities


def recipient_of(path: Path) -> str:
    """The recipient (public key) of the first identity in `path`."""
    return str(load_identities(path)[0].to_public())
