"""A WSGI face for the Lambda handler, so HTTP test clients (schemathesis) call it in-process."""
from __future__ import annotations

import base64
from http import HTTPStatus
from typing import Any, Callable, Iterable

from reportal.local_aws import function_url_event


class HandlerApp:
    """WSGI app: each request becomes a Function URL event for `handler`; `calls` and
    `statuses` record what was answered."""

    def __init__(self, handler: Callable[[dict, Any], dict]):
        self.handler = handler
        self.statuses: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items()
                   if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        event = function_url_event(environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/", headers, body)
        answer = self.handler(event, None)
        status = int(answer["statusCode"])
        self.statuses.append(status)
        payload = answer.get("body") or ""
        data = base64.b64decode(payload) if answer.get("isBase64Encoded") else payload.encode("utf-8")
        out = [(k, str(v)) for k, v in (answer.get("headers") or {}).items()]
        start_response(f"{status} {HTTPStatus(status).phrase}", out + [("Content-Length", str(len(data)))])
        return [data]
