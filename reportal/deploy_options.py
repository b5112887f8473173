"""`reportal deploy` options (domain, certificate, alarm email, rate limit, log retention, inbox
access, dry run) checked before anything is sent, mapped onto the two stacks' parameters,
and the command itself (registered by `reportal.cli` through `add_commands`)."""
from __future__ import annotations

import argparse
import os
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LOG_RETENTION_DAYS", "DeployOptions", "add_commands", "deploy_command"]

# CloudWatch Logs accepts only these retention periods (infra/backend.yaml LogRetentionDays).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365)
_HOST = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_CERTIFICATE = re.compile(r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class DeployOptions:
    """What an operator may set on the command line; None keeps the stack's current value.

    `domain` + `certificate_arn` (ACM, us-east-1): the portals' own host name. `alarm_email`:
    subscribed to the alarm topic. `rate_limit`: POST /submit per IP per 5 minutes (WAF, 10 to
    2,000,000,000). `log_retention`: days (one of `LOG_RETENTION_DAYS`). `inbox_access`:
    "roles-anywhere" (with `inbox_ca`, the PEM of the hotline's certificate authority),
    "iam-user" or "none" (docs/hotline.md)."""

    domain: str | None = None
    certificate_arn: str | None = None
    alarm_email: str | None = None
    rate_limit: int | None = None
    log_retention: int | None = None
    inbox_access: str | None = None
    inbox_ca: Path | None = None

    def problems(self) -> list[str]:
        """Every mistake in the options, each one line; empty when they can be used."""
        out = []
        if (self.domain is None) != (self.certificate_arn is None):
            out.append("--domain and --certificate-arn go together: CloudFront needs the certificate for the name")
        if self.domain is not None and not _HOST.match(self.domain):
            out.append(f"--domain {self.domain!r} is not a host name (lowercase, e.g. report.example.org)")
        if self.certificate_arn is not None and not _CERTIFICATE.match(self.certificate_arn):
            out.append("--certificate-arn must be an ACM certificate in us-east-1 (arn:aws:acm:us-east-1:"
                       "ACCOUNT:certificate/ID); CloudFront uses no other region")
        if self.alarm_email is not None and not _EMAIL.match(self.alarm_email):
            out.append(f"--alarm-email {self.alarm_email!r} is not an email address")
        if self.rate_limit is not None and not 10 <= self.rate_limit <= 2_000_000_000:
            out.append("--rate-limit must be between 10 and 2000000000 requests per 5 minutes (WAF's range)")
        if self.log_retention is not None and self.log_retention not in LOG_RETENTION_DAYS:
            out.append(f"--log-retention must be one of {', '.join(map(str, LOG_RETENTION_DAYS))} days "
                       "(what CloudWatch Logs accepts)")
        if self.inbox_access == "roles-anywhere" and self.inbox_ca is None:
            out.append("--inbox-access roles-anywhere needs --inbox-ca FILE (your certificate authority's PEM)")
        if self.inbox_ca is not None and self.inbox_access != "roles-anywhere":
            out.append("--inbox-ca is only used with --inbox-access roles-anywhere")
        if self.inbox_ca is not None and self.inbox_access == "roles-anywhere":
            try:
                pem = self.inbox_ca.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                out.append(f"--inbox-ca {self.inbox_ca}: cannot read it ({type(exc).__name__})")
            else:
                if "-----BEGIN CERTIFICATE-----" not in pem:
                    out.append(f"--inbox-ca {self.inbox_ca}: no PEM certificate in it")
        return out

    @property
    def origin(self) -> str | None:
        """The portals' origin the domain gives (https://D), if one was given."""
        return f"https://{self.domain}" if self.domain else None

    def backend_params(self) -> dict[str, str]:
        """Parameters of infra/backend.yaml these options set."""
        params = {"AlarmEmail": self.alarm_email, "LogRetentionDays": self.log_retention,
                  "InboxAccess": self.inbox_access}
        if self.inbox_ca is not None:
            params["InboxCaCertificate"] = self.inbox_ca.read_text(encoding="ascii").strip()
        return {k: str(v) for k, v in params.items() if v is not None}

    def edge_params(self) -> dict[str, str]:
        """Parameters of infra/edge.yaml these options set."""
        params = {"DomainNames": self.domain, "CertificateArn": self.certificate_arn, "RateLimit": self.rate_limit}
        return {k: str(v) for k, v in params.items() if v is not None}


def deploy_command(args: argparse.Namespace) -> int:
    """CLI entry: check the options, then deploy (or plan, with --dry-run). Every failure is one
    line on stderr (`deploy failed: …`), exit 1; a bad option exits 2 before anything is sent.
    REPORTAL_DEBUG=1 adds the traceback of an unexpected failure."""
    from reportal.aws_errors import AWS_FAILURES, AwsProblem, explain
    from reportal.deploy import DeployError, deploy

    options = DeployOptions(domain=args.domain, certificate_arn=args.certificate_arn, alarm_email=args.alarm_email,
                            rate_limit=args.rate_limit, log_retention=args.log_retention,
                            inbox_access=args.inbox_access, inbox_ca=Path(args.inbox_ca) if args.inbox_ca else None)
    problems = options.problems()
    for problem in problems:
        print(f"deploy: {problem}", file=sys.stderr)
    if problems:
        return 2
    try:
        deploy(args.stack, region=args.region, root=Path(args.root), options=options, dry_run=args.dry_run)
    except (DeployError, AwsProblem) as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return 1
    except AWS_FAILURES as exc:
        print(f"deploy failed: {explain(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("deploy interrupted: a stack may still be updating; run deploy again when it settles", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 — the CLI boundary: one line, never a traceback by default
        if os.environ.get("REPORTAL_DEBUG"):
            traceback.print_exc()
        print(f"deploy failed unexpectedly: {explain(exc)} (REPORTAL_DEBUG=1 shows where)", file=sys.stderr)
        return 1
    return 0


def add_commands(sub: Any) -> None:
    """Register `deploy` on the subparsers action `sub` of the `reportal` parser."""
    p = sub.add_parser("deploy", help="bundle the function, deploy both stacks, upload dist/, invalidate")
    p.add_argument("--stack", required=True, help="stack name prefix (e.g. reportal-prod)")
    p.add_argument("--region", default=None, help="region of the backend stack (the edge is us-east-1)")
    p.add_argument("--domain", default=None, metavar="D", help="the portals' own host name (needs --certificate-arn)")
    p.add_argument("--certificate-arn", default=None, metavar="ARN", help="ACM certificate in us-east-1 covering D")
    p.add_argument("--alarm-email", default=None, metavar="E", help="address the alarms mail (confirm AWS's first mail)")
    p.add_argument("--rate-limit", type=int, default=None, metavar="N", help="POST /submit per IP per 5 minutes (default 100)")
    p.add_argument("--log-retention", type=int, default=None, metavar="DAYS", help="days the function's logs are kept (default 30)")
    p.add_argument("--inbox-access", choices=("roles-anywhere", "iam-user", "none"), default=None,
                   help="how the hotline's inbox machine reads the queue (docs/hotline.md)")
    p.add_argument("--inbox-ca", default=None, metavar="PEM", help="your CA certificate, for --inbox-access roles-anywhere")
    p.add_argument("--dry-run", action="store_true",
                   help="check credentials, config, templates and keys; print what would change; change nothing")
    p.set_defaults(func=deploy_command)
