"""Hostile inputs for the submission function and the inbox drain, shared by the tests that
bound their cost (tests/submit/test_cost.py, tests/inbox/test_drain_fuzz.py) and `make bench`.

Each function input is a request body (with its media type) that once cost far more than a
normal report (issue 13): many `url` values (the 400 page was quadratic in their number), a
1 MiB body of empty `url=` (a 57.7 MB page), text that grows when escaped, repeated and deeply
nested JSON. Each drain input is an SQS message (body and attributes) an attacker holding the
public recipients could send: a header of many tiny stanzas (pyrage's cost was quadratic in
their number), plaintexts nested deeper than any stack, NaN, huge numbers, wrong types.
"""
from __future__ import annotations

import base64
import json
from typing import Any, Callable
from urllib.parse import quote

__all__ = ["BODY_CAP", "PARSE_CAP", "drain_attacks", "function_attacks", "normal_report"]

BODY_CAP = 64 * 1024     # reportal.submit.form.MAX_BODY_BYTES: bodies over it are refused...
PARSE_CAP = 1024 * 1024  # ...but parsed up to MAX_PARSE_BYTES to give back what was typed
_FORM = "application/x-www-form-urlencoded"
_JSON = "application/json"


def _fill(head: bytes, item: bytes, size: int) -> bytes:
    """`head` then as many `item`s as fit in `size` bytes."""
    return head + item * ((size - len(head)) // len(item))


def normal_report() -> tuple[bytes, str]:
    """What a reporter sends: three URL inputs (one filled), notes, no email."""
    return (b"portal=bz&lang=es&url=hxxps%3A%2F%2Fbad%5B.%5Dexample%2Fimages%2F1&url=&url=&kind=image"
            b"&notes=" + quote("Behind a login, third page.").encode() + b"&referrer=&email=&trap=", _FORM)


def function_attacks() -> dict[str, tuple[bytes, str]]:
    """name → (body, content type). Sizes: at the 64 KiB cap unless the name says 1 MiB."""
    head = b"portal=bz&lang=es&"
    long_url = "https://x.example/" + "[.]%25(.)\u202e" * 1300
    return {
        "empty urls, 64 KiB": (_fill(head, b"url=&", BODY_CAP), _FORM),
        "empty urls, 1 MiB": (_fill(head, b"url=&", PARSE_CAP), _FORM),
        "invalid urls, 64 KiB": (_fill(head, b"url=a&", BODY_CAP), _FORM),
        "valid urls, 64 KiB": (_fill(head, b"url=x.example&", BODY_CAP), _FORM),
        "998 invalid urls of 60 characters, 64 KiB": (head + b"url=" + b"&url=".join([b"a" * 60] * 998), _FORM),
        "990 empty urls and one valid one": (head + b"url=x.example" + b"&url=" * 990, _FORM),
        "quotes in notes, 64 KiB": (_fill(head + b"url=x.example&notes=", b'"', BODY_CAP), _FORM),
        "invalid urls, unknown portal, 64 KiB": (_fill(b"portal=zz&lang=es&", b"url=a&", BODY_CAP), _FORM),
        "repeated notes, 64 KiB": (_fill(head + b"url=x.example&", b"notes=a&", BODY_CAP), _FORM),
        "quotes in notes, 1 MiB": (_fill(head + b"url=x.example&notes=", b'"', PARSE_CAP), _FORM),
        "long tricky urls, 64 KiB": (head + b"&".join(b"url=" + quote(long_url).encode()[:9000] for _ in range(7)), _FORM),
        "json url list, 64 KiB": (_fill(b'{"portal":"bz","lang":"es","url":["a"', b',"a"', BODY_CAP - 2) + b"]}", _JSON),
        "json repeated keys, 64 KiB": (_fill(b'{"portal":"bz","lang":"es","url":"x.example"', b',"notes":"a"',
                                             BODY_CAP - 1) + b"}", _JSON),
        "json nested, 64 KiB": (b'{"portal":"bz","lang":"es","url":' + b"[" * 60000 + b"}", _JSON),
    }


def _stanza_bomb(sealed: bytes, size: int) -> bytes:
    """`sealed` with its header padded by tiny stanzas ("-> a" and an empty body) to `size`."""
    intro = b"age-encryption.org/v1\n"
    return intro + b"-> a\n\n" * ((size - len(sealed)) // 6) + sealed[len(intro):]


def drain_attacks(seal_bytes: Callable[[bytes], bytes], report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name → SQS message (``Body``, ``MessageAttributes``, ``MessageId``, ``ReceiptHandle``),
    sealed with `seal_bytes` (plaintext → age file, as anyone holding the recipients can);
    `report` is an honest envelope v1 plaintext to vary."""
    honest = json.dumps(report).encode()

    def plain(text: str) -> bytes:
        return text.encode()

    sealed = {
        "stanza bomb, 19 KB": _stanza_bomb(seal_bytes(honest), 19_000),
        "stanza bomb, 700 KB": _stanza_bomb(seal_bytes(honest), 700_000),
        "nested 1,000 deep": seal_bytes(plain(json.dumps(report)[:-1] + ', "notes": ' + "[" * 1000 + "]" * 1000 + "}")),
        "nested 300,000 deep": seal_bytes(plain('{"a":' + "[" * 300_000 + "]" * 300_000 + "}")),
        "NaN": seal_bytes(plain(json.dumps(report).replace('"kind": null', '"kind": NaN'))),
        "huge number": seal_bytes(plain(json.dumps(report).replace('"kind": null', '"kind": ' + "9" * 4000))),
        "100,000 urls": seal_bytes(plain(json.dumps({**report, "urls": report["urls"] * 100_000}))),
        "many keys": seal_bytes(plain(json.dumps({**report, **{f"k{i}": i for i in range(50_000)}}))),
        "repeated key": seal_bytes(plain(json.dumps(report)[:-1] + ', "notes": "x"' * 20_000 + "}")),
        "long strings": seal_bytes(plain(json.dumps({**report, "notes": "\u202e" * 200_000}))),
    }
    return {name: {"MessageId": f"attack-{i}", "ReceiptHandle": f"handle-{i}",
                   "Body": base64.b64encode(data).decode("ascii"),
                   "MessageAttributes": {"v": {"DataType": "String", "StringValue": "1"}}}
            for i, (name, data) in enumerate(sealed.items())}
