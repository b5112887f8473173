"""AWS and emulator failures as one line that says what to do (deploy, dead letters).

`explain(exc)` never returns more than one line and never a traceback; `check_credentials`
finds out, before any slow step, whether boto3 has credentials AWS (or the emulator at
`AWS_ENDPOINT_URL`) accepts.
"""
from __future__ import annotations

import os
import re
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError, NoCredentialsError,
    NoRegionError, PartialCredentialsError, ProfileNotFound, ReadTimeoutError, WaiterError,
)

__all__ = ["AWS_FAILURES", "NO_REGION", "QUICK", "AwsProblem", "check_credentials", "explain"]

# What a call to AWS or an emulator may raise: botocore's two families. Anything else is a bug.
AWS_FAILURES = (BotoCoreError, ClientError)
# For the credentials check: fail within seconds, not after botocore's default retries.
QUICK = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 1, "mode": "standard"})

# boto3 reads AWS_DEFAULT_REGION (or `region` of the AWS profile), not AWS_REGION
NO_REGION = "no AWS region: set AWS_DEFAULT_REGION (or `region` in the AWS profile)"
_CREDENTIALS_HELP = ("give boto3 credentials: `aws configure` or `aws sso login` (then AWS_PROFILE=NAME), "
                     "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
_REJECTED = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "InvalidAccessKeyId",
             "AuthFailure", "IncompleteSignature"}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_DENIED = re.compile(r"AccessDenied|UnauthorizedOperation|AuthorizationError|Forbidden")


class AwsProblem(Exception):
    """A failure already explained in one line (the message)."""


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def explain(exc: BaseException, doing: str = "") -> str:
    """One line for `exc` (botocore's or ours): what failed and what to do about it.

    `doing` names the step ("creating stack hotline-backend") and starts the line when given."""
    where = f"{doing}: " if doing else ""
    if isinstance(exc, AwsProblem):
        return where + _one_line(str(exc))
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return f"{where}no usable AWS credentials; {_CREDENTIALS_HELP}"
    if isinstance(exc, ProfileNotFound):
        return f"{where}{_one_line(str(exc))}; check AWS_PROFILE against ~/.aws/config"
    if isinstance(exc, NoRegionError):
        return f"{where}{NO_REGION}"
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        hint = (f"is the emulator at AWS_ENDPOINT_URL={endpoint} running?" if endpoint
                else "check the network connection (and any proxy) to AWS")
        return f"{where}could not reach AWS ({type(exc).__name__}); {hint}"
    if isinstance(exc, WaiterError):
        return f"{where}gave up waiting: {_one_line(str(exc))}; see the stack's events in the console"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), _one_line(str(error.get("Message", "")))
        operation = exc.operation_name or "the call"
        if code in _REJECTED:
            return f"{where}AWS rejected the credentials ({code}); {_CREDENTIALS_HELP}"
        if code in _EXPIRED:
            return f"{where}the AWS credentials have expired ({code}); log in again (e.g. `aws sso login`)"
        if _DENIED.search(code):
            return (f"{where}AWS denied {operation} ({code}): {message}; the identity you deploy with "
                    "needs the permissions docs/deploy.md lists under Prerequisites")
        return f"{where}{operation} failed: {code or 'error'}: {message or 'no message'}"
    if isinstance(exc, BotoCoreError):
        return f"{where}{_one_line(str(exc))}"
    return f"{where}{type(exc).__name__}: {_one_line(str(exc))}"


def check_credentials(session: Any) -> str:
    """Return the account id the session's credentials belong to (STS GetCallerIdentity, which
    needs no permission); raise `AwsProblem` with one line when there are none or AWS refuses
    them. Bounded: no retries, 3 s to connect, 5 s to read."""
    if session.get_credentials() is None:
        raise AwsProblem(f"no AWS credentials found; {_CREDENTIALS_HELP}")
    try:
        return session.client("sts", config=QUICK).get_caller_identity()["Account"]
    except AWS_FAILURES as exc:
        raise AwsProblem(explain(exc, "checking the AWS credentials")) from exc
