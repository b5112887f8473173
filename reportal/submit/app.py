"""The submission route: check origin ▸ parse_form ▸ validate_report ▸ seal ▸ send_envelope ▸ 303.

Errors are mapped to HTTP here and only here::

    missing/wrong x-reportal-origin     → 403 (only CloudFront knows the secret)
    foreign or unreadable Origin        → 403 page, input kept (only with allowed_origins;
                                          "null" or no Origin is the no-referrer normal)
    InvalidReport                       → 400 page naming each field / JSON field codes
    EnvelopeTooLarge                    → 400 (retrying cannot help)
    EnvelopeError, QueueUnavailable     → 503 page "not received, try again", input kept
    anything else, anywhere             → 503 (never 500: Lambda would log a traceback)

Logs carry event names, error codes and exception type names only: never an IP, a header,
a field value, an exception message or a traceback (they can quote what was typed).

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
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver
from aws_lambda_powertools.event_handler import Response as ResolverResponse

from reportal.envelope import EnvelopeError, EnvelopeTooLarge, parse_recipients, seal
from reportal.headers import SECURITY_HEADERS
from reportal.submit.form import (FieldError, InvalidReport, QueueUnavailable, is_honeypot, parse_form,
                                  validate_report)
from reportal.submit.metrics import Counters
from reportal.submit.pages import load_site, render_form_page
from reportal.submit.queue import send_envelope
from reportal.submit.settings import Settings, origin_allowed

__all__ = ["make_handler"]

_HTML = "text/html; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_NO_STORE = {"Cache-Control": "no-store", **SECURITY_HEADERS}
_NOT_RECEIVED = "Your report was not received. Please go back and try again."


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


@dataclass
class Response:
    """One HTTP answer; `as_function_url()` gives the Lambda Function URL response shape."""

    status: int
    content_type: str
    body: str | dict[str, Any] = ""
    headers: dict[str, str] = field(default_factory=dict)

    def as_function_url(self) -> dict[str, Any]:
        """``{statusCode, headers, body, isBase64Encoded}`` (payload format 2.0)."""
        body = self.body if isinstance(self.body, str) else json.dumps(self.body, separators=(",", ":"))
        return {"statusCode": self.status, "headers": {"Content-Type": self.content_type, **_NO_STORE, **self.headers},
                "body": body, "isBase64Encoded": False}


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

    def answer(fields: Mapping[str, list[str]], errors: list[FieldError], status: str, code: int,
               wants_json: bool) -> Response:
        if wants_json:
            return Response(code, "application/json", {"errors": [{"field": e.field, "code": e.code} for e in errors]})
        shown = [] if status == "unavailable" else errors
        try:
            html = render_form_page(site, settings.data_dir, fields, shown, status)
        except Exception as exc:  # a broken template must not turn a 4xx/503 into a 500
            logger.error("page not rendered", extra={"error": type(exc).__name__})
            return Response(code, _TEXT, _NOT_RECEIVED if code >= 500 else "Bad request")
        return Response(code, _HTML, html)

    def thanks(fields: Mapping[str, list[str]]) -> Response:
        portal, lang = (fields.get("portal") or [""])[0], (fields.get("lang") or [""])[0]
        known = portal in site and lang in site[portal]["languages"]
        location = f"/{portal}/{lang}/thanks/" if known else "/"
        return Response(303, _HTML, "", {"Location": location})

    def submit_report(event: Mapping[str, Any], headers: dict[str, str],
                      kept: dict[str, Mapping[str, list[str]]]) -> Response:
        """The route's steps; `kept["fields"]` holds what was typed once parsed, for a 503 page."""
        wants_json = headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"
        if settings.origin_secret and not hmac.compare_digest(
                headers.get("x-reportal-origin", "").encode("utf-8", "surrogateescape"),
                settings.origin_secret.encode("utf-8")):
            logger.warning("request refused", extra={"reason": "origin-secret"})
            counters.rejected(["origin-secret"])
            return Response(403, _TEXT, "Forbidden")
        fields: Mapping[str, list[str]] = {}
        try:
            fields = kept["fields"] = parse_form(_raw_body(event), headers.get("content-type", ""))
            if settings.allowed_origins and not origin_allowed(headers.get("origin", ""), settings.allowed_origins):
                logger.warning("request refused", extra={"reason": "origin-refused"})
                counters.rejected(["origin-refused"])
                return answer(fields, [FieldError("origin", "origin-refused")], "invalid", 403, wants_json)
            if is_honeypot(fields):
                logger.info("honeypot filled; nothing sent")
                counters.count("HoneypotFilled")
                return thanks(fields)
            report = validate_report(fields, site)
        except InvalidReport as exc:
            fields = exc.fields or fields
            codes = sorted({e.code for e in exc.errors})
            logger.info("report refused", extra={"codes": codes})
            counters.rejected(codes)
            return answer(fields, exc.errors, "invalid", 400, wants_json)
        try:
            send_envelope(sqs, settings.queue_url, seal(report.as_envelope(), recipients))
        except EnvelopeTooLarge:
            # Trying again cannot help: say so, as for an over-long body (the queue holds 1 MiB).
            logger.info("report refused", extra={"codes": ["body-too-large"]})
            counters.rejected(["body-too-large"])
            return answer(fields, [FieldError("body", "body-too-large")], "invalid", 400, wants_json)
        except (EnvelopeError, QueueUnavailable) as exc:
            logger.error("report not received", extra={"error": type(exc).__name__})
            counters.count("QueueFailure", reason=type(exc).__name__)
            return answer(fields, [FieldError("body", "queue-unavailable")], "unavailable", 503, wants_json)
        logger.info("report accepted")
        counters.count("ReportAccepted")
        return thanks(fields)

    def submit(event: Mapping[str, Any], headers: dict[str, str]) -> Response:
        kept: dict[str, Mapping[str, list[str]]] = {"fields": {}}
        try:
            return submit_report(event, headers, kept)
        except Exception as exc:
            # Type name only: an exception's message or traceback may quote what was typed.
            logger.error("unexpected error", extra={"error": type(exc).__name__})
            counters.count("UnexpectedError", reason=type(exc).__name__)
            wants_json = headers.get("content-type", "").lower().startswith("application/json")
            return answer(kept["fields"], [FieldError("body", "unavailable")], "unavailable", 503, wants_json)

    app = LambdaFunctionUrlResolver(debug=False)  # debug would print every event

    @app.post("/submit")
    def route() -> ResolverResponse:
        event = app.current_event.raw_event
        r = submit(event, _headers(event))
        body = r.body if isinstance(r.body, str) else json.dumps(r.body, separators=(",", ":"))
        return ResolverResponse(r.status, r.content_type, body, {**_NO_STORE, **r.headers})

    @app.route("/submit", method=["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"])
    def wrong_method() -> ResolverResponse:
        return ResolverResponse(405, _TEXT, "Method not allowed", {**_NO_STORE, "Allow": "POST"})

    @app.not_found
    def not_found(exc: Exception) -> ResolverResponse:
        if app.current_event.path == "/submit":  # a method no route names ("BREW")
            return ResolverResponse(405, _TEXT, "Method not allowed", {**_NO_STORE, "Allow": "POST"})
        return ResolverResponse(404, _TEXT, "Not found", _NO_STORE)

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> ResolverResponse:  # even the error page failed
        logger.error("unexpected error", extra={"error": type(exc).__name__})
        return ResolverResponse(503, _TEXT, _NOT_RECEIVED, _NO_STORE)

    def handler(event: dict, context: Any) -> dict:
        try:
            return app.resolve(event, context)
        except Exception as exc:  # not a Function URL event the resolver can read
            logger.error("unexpected event", extra={"error": type(exc).__name__})
            return Response(400, _TEXT, "Bad request").as_function_url()

    return handler
