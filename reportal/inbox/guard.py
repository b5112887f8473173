"""Open one queue message as hostile input: bounded work before and after decryption.

Anyone holding a send credential can put messages on the queue, and the recipients are public,
so an attacker can seal valid envelopes. Every message therefore passes, in this order::

    attribute ``v`` = ``1``                                           else reason ``version``
    SQS body ≤ 1 MiB of base64, decoding to a binary age file          else ``size`` / ``sealed``
    age header parsed here (`check_age_header`): ≤ `MAX_HEADER_BYTES`,
      ≤ `MAX_STANZAS` recipient stanzas, each well formed              else ``header``
    pyrage.decrypt (only now: its header parser costs the square of
      the stanza count, 19 KB of tiny stanzas took 4.5 s)              else ``sealed``
    JSON ≤ `MAX_DEPTH` levels (jiter, pydantic's parser, refuses
      deeper and NaN/Infinity), no key twice, envelope v1 exactly
      (`reportal.envelope.check_plaintext`)                            else ``plaintext``
    `received_at` no later than the queue's own ``SentTimestamp``
      plus `CLOCK_SKEW` (the function stamps a report, then sends it
      within its 6 s deadline)                                         else ``clock``

so no message costs more than a few milliseconds (docs/performance.md: ≤ 100 ms CPU), and
every failure is a `Refused` carrying its reason, never another exception: the drain leaves
that message for the dead-letter queue and goes on with the others. Nothing here quotes a
message's content.

The age format (https://age-encryption.org/v1, "Header")::

    age-encryption.org/v1\\n
    -> TYPE ARG…\\n                 each argument 1+ printable ASCII characters (VCHAR)
    BODY\\n                         base64 without padding, lines of 64, the last one shorter
    …                              (possibly empty)
    --- MAC\\n                      43 characters of base64 (HMAC-SHA-256), then the payload
"""
from __future__ import annotations

import base64
import binascii
import json
import re
import time
from datetime import datetime, timezone
from typing import Any

import pyrage
from pydantic_core import from_json

from reportal.envelope import (
    ENVELOPE_VERSION, MAX_RECIPIENTS, SQS_MAX_MESSAGE_BYTES, VERSION_ATTRIBUTE, EnvelopeError, check_plaintext,
)

__all__ = ["CLOCK_SKEW_SECONDS", "MAX_DEPTH", "MAX_HEADER_BYTES", "MAX_STANZAS", "Refused", "check_age_header", "open_message",
           "parse_plaintext"]

# rage adds one "grease" stanza to the recipients' X25519 stanzas (age's format invites it).
MAX_STANZAS = MAX_RECIPIENTS + 1
# An X25519 stanza is 108 bytes and rage's grease stanza at most ~300; 16 KiB leaves room
# for a plugin's longer stanzas without letting the header grow unbounded.
MAX_HEADER_BYTES = 16 * 1024
MAX_DEPTH = 200  # jiter's fixed recursion limit; envelope v1 itself is 3 deep
# How far a report's received_at may lie after the moment SQS accepted its message. SQS sets
# SentTimestamp itself (epoch milliseconds; SQS API reference, ReceiveMessage,
# MessageSystemAttributeNames), so a sender cannot forge it; the function's clock and SQS's
# are both AWS-synchronised. A report dated in the future (9999) would otherwise sort last
# for ever and never reach its retention period. A redrive only makes SentTimestamp later.
CLOCK_SKEW_SECONDS = 600
_INTRO = b"age-encryption.org/v1\n"
_MAC_LINE = re.compile(rb"--- [A-Za-z0-9+/]{43}\n")
_ARGUMENT = re.compile(rb"[\x21-\x7e]+\Z")
_BODY_LINE = re.compile(rb"[A-Za-z0-9+/]{0,64}\Z")
# base64 of an SQS_MAX_MESSAGE_BYTES body: a longer body never came through SQS.
_MAX_SEALED_BYTES = SQS_MAX_MESSAGE_BYTES * 3 // 4


class Refused(Exception):
    """A message cannot be opened or is not envelope v1; `reason` is one of ``version``,
    ``size``, ``header``, ``sealed``, ``plaintext``. It stays on the queue."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_age_header(sealed: bytes) -> int:
    """Check the header of the binary age file `sealed` before any decrypter reads it; return
    its stanza count.

    Raises `Refused("header")` unless it is the age v1 intro, 1–`MAX_STANZAS` stanzas whose
    arguments are VCHAR strings and whose bodies are canonical base64 lines (64 characters,
    the last shorter), then the MAC line, all within `MAX_HEADER_BYTES`. Armored files
    (``-----BEGIN AGE ENCRYPTED FILE-----``) are refused: the function never writes them.
    Work is linear in `MAX_HEADER_BYTES` whatever the input.
    """
    if not sealed.startswith(_INTRO):
        raise Refused("header")
    end = sealed.find(b"\n--- ", 0, MAX_HEADER_BYTES)
    if end < 0 or not _MAC_LINE.match(sealed, end + 1) or end + 49 > MAX_HEADER_BYTES:
        raise Refused("header")
    lines = sealed[len(_INTRO):end + 1].split(b"\n")[:-1]
    stanzas, in_body = 0, False
    for line in lines:
        if line.startswith(b"-> ") and not in_body:
            stanzas += 1
            if stanzas > MAX_STANZAS or not all(_ARGUMENT.match(arg) for arg in line[3:].split(b" ")):
                raise Refused("header")
            in_body = True
        elif in_body and _BODY_LINE.match(line):
            in_body = len(line) == 64  # a shorter line ends the body
        else:
            raise Refused("header")
    if stanzas == 0 or in_body:
        raise Refused("header")
    return stanzas


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def parse_plaintext(plaintext: bytes) -> dict[str, Any]:
    """Parse an opened plaintext and check it against envelope v1; return it as sent.

    jiter (pydantic-core) parses first: linear, at most `MAX_DEPTH` levels, no NaN or
    Infinity. Only then does the standard parser read it again (now known to be shallow) to
    refuse a key given twice (which value would be "the" report?). Raises `Refused("plaintext")`.
    """
    try:
        text = plaintext.decode("utf-8")
        from_json(text, allow_inf_nan=False)  # bounded: raises ValueError past MAX_DEPTH
        report = json.loads(text, object_pairs_hook=_no_repeated_keys, parse_constant=_no_constant)
    except (UnicodeError, ValueError, RecursionError):
        raise Refused("plaintext") from None
    if not isinstance(report, dict):
        raise Refused("plaintext")
    try:
        return check_plaintext(report)
    except EnvelopeError:
        raise Refused("plaintext") from None


def open_message(message: dict[str, Any], identities: list) -> dict[str, Any]:
    """Open one SQS message (as ReceiveMessage returns it with ``MessageAttributeNames=[VERSION_ATTRIBUTE]``)
    with any of `identities` and check it; return the report (envelope v1 plaintext).

    Raises `Refused` with the reason (module docstring) and nothing else for any content.
    """
    attributes = message.get("MessageAttributes")
    version = attributes.get(VERSION_ATTRIBUTE) if isinstance(attributes, dict) else None
    if not isinstance(version, dict) or version.get("StringValue") != ENVELOPE_VERSION:
        raise Refused("version")
    body = message.get("Body")
    if not isinstance(body, str) or len(body) > SQS_MAX_MESSAGE_BYTES:
        raise Refused("size")
    try:
        sealed = base64.b64decode(body.encode("ascii"), validate=True)
    except (UnicodeError, binascii.Error, ValueError):
        raise Refused("sealed") from None
    if len(sealed) > _MAX_SEALED_BYTES:
        raise Refused("size")
    check_age_header(sealed)
    try:
        plaintext = pyrage.decrypt(sealed, list(identities))
    except (pyrage.DecryptError, ValueError, TypeError):
        raise Refused("sealed") from None
    report = parse_plaintext(plaintext)
    _check_clock(report["received_at"], message.get("Attributes"))
    return report


def _check_clock(received_at: str, attributes: Any) -> None:
    """Refuse (``clock``) a `received_at` later than the message's ``SentTimestamp`` (or, for
    a message without one, this machine's clock) plus `CLOCK_SKEW_SECONDS`."""
    sent = attributes.get("SentTimestamp") if isinstance(attributes, dict) else None
    try:
        reference = int(sent) / 1000 if isinstance(sent, str) and sent.isascii() and sent.isdigit() else time.time()
        received = datetime.strptime(received_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (ValueError, OverflowError):
        raise Refused("clock") from None
    if received > reference + CLOCK_SKEW_SECONDS:
        raise Refused("clock")
