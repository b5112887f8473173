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

__all__ = ["BODY_CAP", "PARSE_CAP", "drain_attacks", "function_attacks", "measure_attacks", "normal_report"]

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
        "5,000 urls": seal_bytes(plain(json.dumps({**report, "urls": report["urls"] * 5_000}))),
        "20,000 keys": seal_bytes(plain(json.dumps({**report, **{f"k{i}": i for i in range(20_000)}}))),
        "repeated key": seal_bytes(plain(json.dumps(report)[:-1] + ', "notes": "x"' * 20_000 + "}")),
        "long strings": seal_bytes(plain(json.dumps({**report, "notes": "\u202e" * 100_000}))),
    }
    return {name: {"MessageId": f"attack-{i}", "ReceiptHandle": f"handle-{i}",
                   "Body": base64.b64encode(data).decode("ascii"),
                   "MessageAttributes": {"v": {"DataType": "String", "StringValue": "1"}}}
            for i, (name, data) in enumerate(sealed.items())}


def _cpu(call: Callable[[], Any], repeat: int) -> float:
    """The smallest CPU time of `repeat` calls, in seconds (the least disturbed run)."""
    import time

    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def measure_attacks(data_dir: Any, repeat: int = 3) -> dict[str, Any]:
    """CPU of the function's answer to every attack beside a normal report (warm handler, stub
    queue, this process), the largest Lambda response, and the drain's CPU to open (refuse)
    every hostile envelope: the most expensive of each."""
    import uuid

    import pyrage
    from aws_lambda_powertools import Logger

    from reportal.envelope import pad
    from reportal.inbox.guard import Refused, open_message
    from reportal.local_aws import function_url_event
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    class _Queue:
        def send_message(self, **kwargs: Any) -> dict[str, str]:
            return {"MessageId": "bench"}

    identity = pyrage.x25519.Identity.generate()
    handler = make_handler(Settings(queue_url="https://sqs.eu-west-2.amazonaws.com/1/q",
                                    recipients=(str(identity.to_public()),), data_dir=data_dir), _Queue(),
                           logger=Logger(service="reportal-bench", level="ERROR"))

    def answer(body: bytes, content_type: str) -> dict[str, Any]:
        return handler(function_url_event("POST", "/submit", {"content-type": content_type}, body), None)

    function: dict[str, float] = {}
    largest = 0
    for name, (body, content_type) in {"normal report": normal_report(), **function_attacks()}.items():
        largest = max(largest, len(json.dumps(answer(body, content_type))))  # also warms templates
        function[name] = _cpu(lambda: answer(body, content_type), repeat)
    normal = function.pop("normal report")
    capped = {k: v for k, v in function.items() if "1 MiB" not in k}
    worst = max(capped, key=capped.__getitem__)
    worst_any = max(function, key=function.__getitem__)

    report = {"report_id": uuid.uuid4().hex, "received_at": "2025-03-01T10:00:00Z", "portal": "bz", "lang": "es",
              "urls": [{"typed": "example.com/1", "normalized": "https://example.com/1"}], "kind": None,
              "notes": "n", "referrer": None, "email": None}
    messages = drain_attacks(lambda data: pyrage.encrypt(pad(data), [identity.to_public()]), report)

    def refuse(message: dict[str, Any]) -> None:
        try:
            open_message(message, [identity])
        except Refused:
            return
        raise RuntimeError("a hostile envelope was opened")

    drain = {name: _cpu(lambda: refuse(message), repeat) for name, message in messages.items()}
    drain_worst = max(drain, key=drain.__getitem__)
    return {
        "function_attacks": len(function), "drain_attacks": len(drain),
        "function_normal_cpu_ms": round(normal * 1000, 2),
        "function_worst_cpu_ms": round(capped[worst] * 1000, 2), "function_worst_attack": worst,
        "function_worst_any_cpu_ms": round(function[worst_any] * 1000, 2), "function_worst_any_attack": worst_any,
        "function_largest_response_bytes": largest,
        "drain_worst_cpu_ms": round(drain[drain_worst] * 1000, 2), "drain_worst_attack": drain_worst,
        "function_cpu_ms": {k: round(v * 1000, 2) for k, v in function.items()},
        "drain_cpu_ms": {k: round(v * 1000, 2) for k, v in drain.items()},
    }
