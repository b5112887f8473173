"""The submission route: check origin ▸ parse_form ▸ validate_report ▸ seal ▸ send_envelope ▸ 303.

The steps raise; every error is mapped to an HTTP answer here and only here, by Powertools'
`exception_handler`, from the most specific class of the tree down::

    Exception                               → 503 page "not received, try again", input kept
    ├── ReportError                         (reportal.submit.form)
    │   ├── Forbidden                       → 403 text: x-reportal-origin missing or wrong
    │   │                                     (only CloudFront knows the secret)
    │   ├── InvalidReport(errors, fields)   → 400 page naming each field, input kept
    │   │   └── OriginRefused               → 403 page, input kept: a foreign or unreadable Origin,
    │   │                                     only with allowed_origins ("null" or no Origin is
    │   │                                     the no-referrer normal)
    │   └── QueueUnavailable                → 503 page, input kept
    └── EnvelopeError                       (reportal.envelope) → 503 page, input kept
        └── EnvelopeTooLarge                → 400 page ``body-too-large`` (retrying cannot help)
    an event the resolver cannot read       → 400 text (in `handler`, outside the resolver)
    an error page that cannot be rendered   → the same status, one line of text
    a page over `MAX_PAGE_BYTES`            → the page without what was typed, ``body-too-large``
                                              (only a hostile body: pages grow linearly, and
                                              Lambda answers 502 past 6 MB)

One rule decides JSON or HTML (`_wants_json`): a request sent as ``application/json`` gets
``{"errors": [{field, code}]}``, any other an HTML page. Never a 500: Lambda would log a
traceback. Logs carry event names, error codes and exception type names only: never an IP, a
header, a field value, an exception message or a traceback (they can quote what was typed).

Routing is Powertools' `LambdaFunctionUrlResolver` (payload format 2.0), as DESIGN.md says.
Importing Powertools' event_handler package costs about 40 ms at cold start (it loads every
resolver); we accept that rather than hand-roll routing (docs/performance.md has the figure).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
from typing import Any, Callable, Mapping

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
from aws_lambda_powertools.event_handler import Response as ResolverResponse

from reportal import fields as report_fields
from reportal.envelope import EnvelopeError, EnvelopeTooLarge, parse_recipients, seal
from reportal.headers import SECURITY_HEADERS
from reportal.submit.form import (FieldError, Forbidden, InvalidReport, OriginRefused, QueueUnavailable,
                                  is_honeypot, parse_form, validate_report)
from reportal.submit.metrics import Counters
from reportal.submit.pages import load_site, render_form_page
from reportal.submit.queue import send_envelope
from reportal.submit.settings import Settings, origin_allowed

__all__ = ["make_handler"]

_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_NO_STORE = {"Cache-Control": "no-store", **SECURITY_HEADERS}
_NOT_RECEIVED = "Your report was not received. Please go back and try again."
# Lambda refuses a response payload over 6 MB (6,291,456 bytes; the reporter would get a 502):
# a page is kept well below, with room for the status line and headers.
MAX_PAGE_BYTES = 5_000_000
_CONTEXT = frozenset(f.name for f in report_fields.FIELDS if f.kind == "context")


def _silence_powertools_debug() -> None:
    # POWERTOOLS_DEBUG attaches a DEBUG handler to the package logger at import; its debug
    # lines describe requests (paths, routes). Nothing from it may reach the logs.
    package = logging.getLogger("aws_lambda_powertools")
    package.handlers = [logging.NullHandler()]
    package.setLevel(logging.WARNING)
    package.propagate = False


_silence_powertools_debug()


def _raw_body(event: Mapping[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise InvalidReport([FieldError("body", "body-invalid")])
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise InvalidReport([FieldError("body", "body-invalid")]) from None
    return body.encode("utf-8", "surrogatepass")


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    raw = event.get("headers") or {}
    return {str(k).lower(): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _payload_bytes(html: str) -> int:
    """An upper bound of what `html` adds to the Lambda response payload, a JSON document in
    which every non-ASCII code point may be written as ``\\uXXXX`` (12 bytes above U+FFFF)."""
    if len(html) * 12 <= MAX_PAGE_BYTES:  # no need to count
        return len(html)
    return len(json.dumps(html))


def _wants_json(headers: Mapping[str, str]) -> bool:
    """The one rule for JSON or HTML answers: the request's media type, as `parse_form` reads it."""
    return headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"


def _reply(status: int, content_type: str, body: str | dict[str, Any] = "",
           headers: Mapping[str, str] | None = None) -> ResolverResponse:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return ResolverResponse(status, content_type, text, {**_NO_STORE, **(headers or {})})


def make_handler(settings: Settings, sqs: Any, logger: Logger | None = None) -> Callable[[dict, Any], dict]:
    """Build the Lambda handler for a Function URL event (payload format 2.0): POST /submit
    only (other paths 404, other methods 405, an event of another shape 400).

    `sqs` is a boto3 SQS client created once by the caller. Raises `EnvelopeError` at
    cold start if the recipients are malformed, and `OSError`/`ValueError` if the build's
    function data (`site.json`) is missing or unreadable.
    """
    site = load_site(settings.data_dir)
    recipients = parse_recipients(list(settings.recipients))
    logger = logger or Logger(service=settings.service, log_uncaught_exceptions=False)
    counters = Counters(settings.metrics_namespace, settings.service)
    app = LambdaFunctionUrlResolver(debug=False)  # debug would print every event

    def thanks(fields: Mapping[str, list[str]]) -> ResolverResponse:
        portal, lang = (fields.get("portal") or [""])[0], (fields.get("lang") or [""])[0]
        known = portal in site and lang in site[portal]["languages"]
        location = f"/{portal}/{lang}/thanks/" if known else "/"
        return _reply(303, _HTML, "", {"Location": location})

    @app.post("/submit")
    def submit() -> ResolverResponse:
        event = app.current_event.raw_event
        headers = _headers(event)
        if settings.origin_secret and not hmac.compare_digest(
                headers.get("x-reportal-origin", "").encode("utf-8", "surrogateescape"),
                settings.origin_secret.encode("utf-8")):
            raise Forbidden("origin-secret")
        fields = parse_form(_raw_body(event), headers.get("content-type", ""))
        app.append_context(fields=fields)  # what was typed, for the answer to any later error
        if settings.allowed_origins and not origin_allowed(headers.get("origin", ""), settings.allowed_origins):
            raise OriginRefused(fields)
        if is_honeypot(fields):
            logger.info("honeypot filled; nothing sent")
            counters.count("HoneypotFilled")
            return thanks(fields)
        report = validate_report(fields, site)
        send_envelope(sqs, settings.queue_url, seal(report.as_envelope(), recipients))
        logger.info("report accepted")
        counters.count("ReportAccepted")
        return thanks(fields)

    def page(errors: list[FieldError], status: str, code: int,
             fields: Mapping[str, list[str]] | None = None) -> ResolverResponse:
        """The answer to a refused or lost report: JSON codes, or the report page again."""
        if _wants_json(_headers(app.current_event.raw_event)):
            return _reply(code, "application/json", {"errors": [{"field": e.field, "code": e.code} for e in errors]})
        typed = fields or app.context.get("fields") or {}
        shown = [] if status == "unavailable" else errors
        try:
            html = render_form_page(site, settings.data_dir, typed, shown, status)
            if _payload_bytes(html) > MAX_PAGE_BYTES:  # only a hostile body: its text cannot be given back
                logger.info("page without what was typed", extra={"codes": ["body-too-large"]})
                context = {f: v for f, v in typed.items() if f in _CONTEXT}
                html = render_form_page(site, settings.data_dir, context, [FieldError("body", "body-too-large")],
                                        "invalid" if code < 500 else status)
        except Exception as exc:  # a broken template must not turn a 4xx/503 into a 500
            logger.error("page not rendered", extra={"error": type(exc).__name__})
            return _reply(code, _TEXT, _NOT_RECEIVED if code >= 500 else "Bad request")
        return _reply(code, _HTML, html)

    @app.exception_handler(Forbidden)
    def forbidden(exc: Forbidden) -> ResolverResponse:
        logger.warning("request refused", extra={"reason": exc.reason})
        counters.rejected([exc.reason])
        return _reply(403, _TEXT, "Forbidden")

    @app.exception_handler(InvalidReport)
    def invalid(exc: InvalidReport) -> ResolverResponse:
        codes = sorted({e.code for e in exc.errors})
        if isinstance(exc, OriginRefused):
            logger.warning("request refused", extra={"reason": "origin-refused"})
        else:
            logger.info("report refused", extra={"codes": codes})
        counters.rejected(codes)
        return page(exc.errors, "invalid", exc.status, exc.fields)

    @app.exception_handler(EnvelopeTooLarge)
    def too_large(exc: EnvelopeTooLarge) -> ResolverResponse:
        # Trying again cannot help: say so, as for an over-long body (the queue holds 1 MiB).
        return invalid(InvalidReport([FieldError("body", "body-too-large")]))

    @app.exception_handler([EnvelopeError, QueueUnavailable])
    def not_received(exc: Exception) -> ResolverResponse:
        logger.error("report not received", extra={"error": type(exc).__name__})
        counters.count("QueueFailure", reason=type(exc).__name__)
        return page([FieldError("body", "queue-unavailable")], "unavailable", 503)

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> ResolverResponse:
        # Type name only: an exception's message or traceback may quote what was typed.
        logger.error("unexpected error", extra={"error": type(exc).__name__})
        counters.count("UnexpectedError", reason=type(exc).__name__)
        return page([FieldError("body", "unavailable")], "unavailable", 503)

    @app.route("/submit", method=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def wrong_method() -> ResolverResponse:
        return _reply(405, _TEXT, "Method not allowed", {"Allow": "POST"})

    @app.not_found
    def not_found(exc: Exception) -> ResolverResponse:
        if app.current_event.path == "/submit":  # a method no route names ("BREW")
            return _reply(405, _TEXT, "Method not allowed", {"Allow": "POST"})
        return _reply(404, _TEXT, "Not found")

    def handler(event: dict, context: Any) -> dict:
        try:
            return app.resolve(event, context)
        except Exception as exc:  # not a Function URL event the resolver can read
            logger.error("unexpected event", extra={"error": type(exc).__name__})
            return {"statusCode": 400, "headers": {"Content-Type": _TEXT, **_NO_STORE}, "body": "Bad request",
                    "isBase64Encoded": False}

    return handler
