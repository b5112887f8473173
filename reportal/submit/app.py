"""The submission route: parse_form ▸ validate_report ▸ seal ▸ send_envelope ▸ 303 thanks.

Errors are mapped to HTTP here and only here: `InvalidReport` → 400, `QueueUnavailable`
and sealing errors → 503, anything unexpected → 503 (never 500). Logs carry event names,
error codes and exception type names only: never an IP, a header or a field value.
"""
from __future__ import annotations

import base64
import binascii
import hmac
import logging
from typing import Any, Callable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response

from reportal.envelope import EnvelopeError, parse_recipients, seal
from reportal.headers import SECURITY_HEADERS
from reportal.submit.form import FieldError, InvalidReport, QueueUnavailable, parse_form, validate_report
from reportal.submit.pages import load_site, render_form_page
from reportal.submit.queue import send_envelope
from reportal.submit.settings import Settings

__all__ = ["make_handler"]

logger = Logger(service="reportal-submit")


def _silence_powertools_debug() -> None:
    # POWERTOOLS_DEBUG attaches a DEBUG handler to the package logger at import; its debug
    # lines may describe requests. Nothing from it may reach the logs.
    package = logging.getLogger("aws_lambda_powertools")
    package.handlers = [logging.NullHandler()]
    package.setLevel(logging.WARNING)
    package.propagate = False


_silence_powertools_debug()

_HTML = "text/html; charset=utf-8"
_NO_STORE = {"Cache-Control": "no-store", **SECURITY_HEADERS}


def _raw_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise InvalidReport([FieldError("body", "body-invalid")]) from None
    return body.encode("utf-8", "surrogatepass")


def make_handler(settings: Settings, sqs: Any) -> Callable[[dict, Any], dict]:
    """Build the Lambda handler for a Function URL event (payload format 2.0).

    `sqs` is a boto3 SQS client created once by the caller. Raises `EnvelopeError` at
    cold start if the recipients are missing or malformed, and `OSError`/`ValueError`
    if the build's function data (`site.json`) is missing.
    """
    site = load_site(settings.data_dir)
    recipients = parse_recipients(list(settings.recipients))
    app = LambdaFunctionUrlResolver(debug=False)

    def answer_page(fields: dict[str, list[str]], errors: list[FieldError], status: str, code: int,
                    wants_json: bool) -> Response:
        if wants_json:
            return Response(code, "application/json", body={
                "errors": [{"field": e.field, "code": e.code} for e in errors]}, headers=_NO_STORE)
        html = render_form_page(site, settings.data_dir, fields, [] if status == "unavailable" else errors, status)
        return Response(code, _HTML, body=html, headers=_NO_STORE)

    @app.post("/submit")
    def submit() -> Response:
        event = app.current_event
        headers = {k.lower(): v for k, v in (event.headers or {}).items()}
        wants_json = headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"
        if settings.origin_secret and not hmac.compare_digest(
                headers.get("x-reportal-origin", "").encode(), settings.origin_secret.encode()):
            logger.warning("request refused", extra={"reason": "origin-secret"})
            return Response(403, "text/plain; charset=utf-8", body="Forbidden", headers=_NO_STORE)
        fields: dict[str, list[str]] = {}
        try:
            fields = parse_form(_raw_body(event.raw_event), headers.get("content-type", ""))
            report = validate_report(fields, site)
        except InvalidReport as exc:
            logger.info("report refused", extra={"codes": sorted({e.code for e in exc.errors})})
            return answer_page(fields, exc.errors, "invalid", 400, wants_json)
        if not report.honeypot:
            try:
                send_envelope(sqs, settings.queue_url, seal(report.as_envelope(), recipients))
            except (EnvelopeError, QueueUnavailable) as exc:
                logger.error("report not received", extra={"error": type(exc).__name__})
                return answer_page(fields, [FieldError("body", "queue-unavailable")], "unavailable", 503, wants_json)
            logger.info("report accepted")
        else:
            logger.info("honeypot filled; nothing sent")
        return Response(303, _HTML, body="", headers={
            "Location": f"/{report.portal}/{report.lang}/thanks/", **_NO_STORE})

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response:
        # Type name only: an exception's message or traceback may quote what was typed.
        logger.error("unexpected error", extra={"error": type(exc).__name__})
        return Response(503, "text/plain; charset=utf-8",
                        body="Your report was not received. Please go back and try again.", headers=_NO_STORE)

    def handler(event: dict, context: Any) -> dict:
        return app.resolve(event, context)

    return handler
