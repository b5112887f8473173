"""`reportal deploy`: bundle the function, deploy both stacks, upload `dist/`, invalidate the CDN.

Order: bundle → code bucket → `<stack>-backend` (your region) → `<stack>-edge` (us-east-1, fed
the backend's Function URL) → sync `dist/` → one invalidation. Every client comes from one
boto3 session, so `AWS_ENDPOINT_URL` (boto3's own variable) points it all at an emulator.
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import boto3
import yaml
from botocore.exceptions import ClientError

from reportal.bundle import DeployError, build_bundle
from reportal.deploy_options import DeployOptions, deploy_command

if TYPE_CHECKING:
    from reportal.deploy_plan import DeployPlan

__all__ = ["HEADERS_MARKER", "HTML_CACHE_CONTROL", "DeployError", "DeployOptions", "DeployResult", "SyncResult",
           "build_bundle", "cache_control", "check_base_url", "content_type", "deploy", "deploy_command",
           "plan_sync", "sync_site"]

EDGE_REGION = "us-east-1"  # CloudFront-scoped WAF web ACLs and certificates must live here
# Lambda python3.13 runs on Amazon Linux 2023 (glibc 2.34); we deploy arm64 (Graviton).
_FINGERPRINT = re.compile(r"\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
          ".txt": "text/plain; charset=utf-8", ".xml": "application/xml", ".json": "application/json",
          ".js": "text/javascript; charset=utf-8", ".ico": "image/x-icon", ".png": "image/png",
          ".webmanifest": "application/manifest+json", ".woff2": "font/woff2"}


@dataclass
class SyncResult:
    """Keys (paths under `dist/`) uploaded and deleted, and how many were already current."""

    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class DeployResult:
    """Both stacks' outputs, what the sync did, and the invalidation id (None: nothing changed)."""

    backend: dict[str, str]
    edge: dict[str, str]
    sync: SyncResult
    invalidation_id: str | None


def content_type(key: str) -> str:
    """Return the Content-Type for a `dist/` path; text types say UTF-8 (what the build writes)."""
    suffix = Path(key).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


HTML_CACHE_CONTROL = "public, max-age=0, must-revalidate, s-maxage=86400"


def cache_control(key: str) -> str:
    """Return Cache-Control: HTML is kept a day at the CDN's edge (`s-maxage`; every deploy that
    changes a file invalidates it) while browsers revalidate every time (`max-age=0,
    must-revalidate`); fingerprinted assets (`name.<hex≥8>.ext`) are immutable for a year;
    other assets are kept a day."""
    if key.endswith(".html"):
        return HTML_CACHE_CONTROL
    if _FINGERPRINT.search(key):
        return "public, max-age=31536000, immutable"
    return "public, max-age=86400"


# An object recording which header rules the stored files were uploaded under: when the rules
# change (e.g. HTML gained s-maxage), every file is uploaded again, since an unchanged body
# would otherwise keep its old Cache-Control.
HEADERS_MARKER = ".reportal-headers"


def _headers_digest() -> str:
    samples = ("a.html", "a.0123456789.css", "a.css", "a.svg", "a.png", "a.txt", "a.json", "a.xml", "a.ico")
    rules = [(k, content_type(k), cache_control(k)) for k in samples]
    return hashlib.sha256(repr(rules).encode()).hexdigest()[:32]


def plan_sync(s3: Any, bucket: str, dist: Path) -> tuple[SyncResult, dict[str, Path], bool]:
    """What `sync_site` would do, read-only: (result with `uploaded`/`deleted`/`unchanged` filled,
    the local files by key, whether the header marker must be rewritten)."""
    remote: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        remote.update({o["Key"]: o["ETag"].strip('"') for o in page.get("Contents", [])})
    marker = remote.pop(HEADERS_MARKER, None)
    digest = _headers_digest()
    current = marker == hashlib.md5(digest.encode(), usedforsecurity=False).hexdigest()
    local = {p.relative_to(dist).as_posix(): p for p in sorted(dist.rglob("*")) if p.is_file()}
    local.pop(HEADERS_MARKER, None)
    result = SyncResult()
    for key in sorted(local, key=lambda k: (k.endswith(".html"), k)):
        if current and remote.get(key) == hashlib.md5(local[key].read_bytes(), usedforsecurity=False).hexdigest():
            result.unchanged += 1
        else:
            result.uploaded.append(key)
    result.deleted = sorted(set(remote) - set(local))
    return result, local, not current


def sync_site(s3: Any, bucket: str, dist: Path, out: TextIO = sys.stderr) -> SyncResult:
    """Make `bucket` hold exactly the files of `dist/` (key = POSIX path under `dist/`).

    A file whose MD5 equals the object's ETag is skipped: single-part PutObject ETags are the
    body's MD5 for unencrypted and SSE-S3 objects (S3 docs, "Checking object integrity").
    Assets go up before HTML so no page points at a missing file; stale keys are deleted last,
    at most 1,000 per DeleteObjects call (the S3 API limit). When the header rules changed
    since the last sync (`HEADERS_MARKER`), every file is uploaded again."""
    result, local, rewrite_marker = plan_sync(s3, bucket, dist)
    for key in result.uploaded:
        s3.put_object(Bucket=bucket, Key=key, Body=local[key].read_bytes(), ContentType=content_type(key),
                      CacheControl=cache_control(key))
        print(f"  uploaded {key}", file=out)
    for start in range(0, len(result.deleted), 1000):
        batch = [{"Key": k} for k in result.deleted[start:start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    for key in result.deleted:
        print(f"  deleted {key}", file=out)
    if rewrite_marker:
        s3.put_object(Bucket=bucket, Key=HEADERS_MARKER, Body=_headers_digest().encode(),
                      ContentType="text/plain; charset=utf-8", CacheControl="no-store")
    return result


def _stack_status(cfn: Any, name: str) -> dict[str, Any] | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):  # a ValidationError whose message is the only tell
            return None
        raise


def _wait(cfn: Any, name: str, seen: set[str], out: TextIO, poll: float) -> dict[str, Any]:
    """Poll until the stack leaves *_IN_PROGRESS, printing each new event; raise on failure."""
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        failures = []
        for event in reversed(events):
            if event["EventId"] in seen:
                continue
            seen.add(event["EventId"])
            reason = event.get("ResourceStatusReason") or ""
            print(f"  {name}: {event['ResourceStatus']} {event['LogicalResourceId']} {reason}".rstrip(), file=out)
            if event["ResourceStatus"].endswith("FAILED"):
                failures.append(f"{event['LogicalResourceId']}: {reason}")
        status = stack["StackStatus"]
        if not status.endswith("IN_PROGRESS"):
            if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
                return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            raise DeployError(f"stack {name} ended {status}: " + ("; ".join(failures) or "see its events"))
        time.sleep(poll)


class _TaglessLoader(yaml.SafeLoader):
    """Safe YAML loader that reads CloudFormation's short-form tags (!Ref, !Sub, …) as None."""


_TaglessLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _template_defaults(body: str) -> dict[str, str]:
    """Return each template parameter's Default as CloudFormation shows it (a string)."""
    declared = (yaml.load(body, Loader=_TaglessLoader) or {}).get("Parameters") or {}  # noqa: S506 (safe subclass)
    return {k: str(v["Default"]) for k, v in declared.items() if "Default" in v}


def _deploy_stack(cfn: Any, name: str, template: Path, params: dict[str, str | None],
                  out: TextIO, poll: float) -> dict[str, str]:
    """Create or update one stack and wait for it; return its outputs.

    `params` values of None keep the stack's previous value (how NoEcho secrets survive updates).
    A stack left in ROLLBACK_COMPLETE by a failed first create cannot be updated (CloudFormation
    rule), so it is deleted and created again."""
    existing = _stack_status(cfn, name)
    seen = {e["EventId"] for e in cfn.describe_stack_events(StackName=name)["StackEvents"]} if existing else set()
    if existing and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        print(f"{name}: removing the failed first attempt", file=out)
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": max(poll, 1)})
        existing, seen = None, set()
    if existing and existing["StackStatus"].endswith("IN_PROGRESS"):
        raise DeployError(f"stack {name} is busy ({existing['StackStatus']}); try again when it settles")
    body = template.read_text(encoding="utf-8")
    defaults = _template_defaults(body)
    parameters = [{"ParameterKey": k, "UsePreviousValue": True} if v is None else {"ParameterKey": k, "ParameterValue": v}
                  for k, v in params.items()]
    parameters += [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}  # e.g. a domain set by hand
                   for p in (existing or {}).get("Parameters", [])
                   if p["ParameterKey"] not in params and p.get("ParameterValue") != defaults.get(p["ParameterKey"])]
    kwargs = {"StackName": name, "TemplateBody": body, "Parameters": parameters, "Capabilities": ["CAPABILITY_IAM"]}
    print(f"{name}: {'updating' if existing else 'creating'}", file=out)
    try:
        cfn.update_stack(**kwargs) if existing else cfn.create_stack(**kwargs)
    except ClientError as exc:
        if "No updates are to be performed" not in str(exc):  # CloudFormation's only signal for it
            raise DeployError(f"stack {name}: {exc}") from exc
        print(f"{name}: unchanged", file=out)
        return {o["OutputKey"]: o["OutputValue"] for o in existing.get("Outputs", [])}
    return _wait(cfn, name, seen, out, poll)


def _code_bucket(s3: Any, account: str, region: str) -> str:
    """Return the per-account, per-region bucket holding function bundles, creating it private."""
    name = f"reportal-artifacts-{account}-{region}"
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        config = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=name, **config)
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    return name


def _config(root: Path) -> Any:
    """The validated portal config (`LoadedConfig`): the one reader build and check use too, so
    every key deploy acts on (recipients, base_url) passed the same rules. Raises DeployError
    naming the first problem."""
    from reportal.site.config import ConfigError, load_config

    try:
        return load_config(root / "sites")
    except ConfigError as exc:
        raise DeployError(f"{exc.problems[0]} (and {len(exc.problems) - 1} more; run `reportal check`)"
                          if len(exc.problems) > 1 else str(exc.problems[0])) from exc


def check_base_url(base_urls: set[str], origins: list[str], out: TextIO) -> bool:
    """Warn when a portal's `base_url` is not one of the origins the portals are served from
    (hreflang alternates would point elsewhere); True when they agree. On a first deploy
    without --domain the CloudFront address is only known afterwards: docs/deploy.md."""
    wrong = sorted(b for b in base_urls if b not in origins)
    for base in wrong:
        print(f"warning: base_url {base} is not where the portals are served ({' '.join(origins)}); set base_url "
              f"in sites/_defaults.yaml to {origins[-1]}, then run `reportal build` and `reportal deploy` again",
              file=out)
    return not wrong


def _concurrency(session: boto3.Session, region: str, out: TextIO) -> dict[str, str]:
    """Reserve none when the account quota cannot spare the default 10: Lambda keeps at least
    10 executions unreserved (Lambda quotas), and new accounts may start with a quota of 10."""
    try:
        limit = session.client("lambda", region_name=region).get_account_settings()["AccountLimit"]["ConcurrentExecutions"]
    except ClientError:  # not allowed to ask (or an emulator without it): keep the template default
        return {}
    if limit >= 20:
        return {}
    print(f"warning: Lambda concurrency quota is {limit}; reserving none (ask AWS to raise it)", file=out)
    return {"ReservedConcurrency": "0"}


def deploy(stack: str, *, region: str | None = None, root: Path = Path("."), bundle: Path | None = None,
           recipients: list[str] | None = None, backend_params: dict[str, str] | None = None,
           edge_params: dict[str, str] | None = None, options: DeployOptions | None = None,
           dry_run: bool = False, session: boto3.Session | None = None,
           poll_seconds: float = 5.0, out: TextIO = sys.stderr) -> DeployResult | DeployPlan:
    """Deploy `root/dist/` and the function (data from `root/build/function/`) as stack `stack`.

    Creates/updates `<stack>-backend` in `region` and `<stack>-edge` in us-east-1. `bundle`: a
    ready function zip (default: built now, which downloads arm64 wheels from PyPI).
    `recipients`: age public keys (default: `sites/_defaults.yaml`). `options` and `*_params`:
    template parameters to set (`*_params` win); others keep their previous or default value.
    Checks first, in this order and before any bundling: region, credentials (STS), `dist/`,
    config, keys, templates. `dry_run`: stop after the checks and return the `DeployPlan`
    (nothing is created, and a change set made for it is deleted again).
    Raises DeployError, AwsProblem or a botocore error (`reportal.aws_errors.explain` words it)."""
    from reportal.aws_errors import check_credentials
    from reportal.deploy_plan import DeployPlan, plan_deploy

    options = options or DeployOptions()
    session = session or boto3.Session(region_name=region)
    region = session.region_name
    dist = root / "dist"
    if not region:
        raise DeployError("no AWS region: pass --region or set AWS_DEFAULT_REGION (or `region` in the AWS profile)")
    account = check_credentials(session)
    if not (dist / "index.html").is_file():
        raise DeployError(f"{dist}/index.html not found: run `reportal build` first")
    config = _config(root)
    unbuilt = sorted(p.code for p in config.portals if not (dist / p.code).is_dir())
    if unbuilt:  # `reportal build --site CC` leaves only CC: the sync would delete every other portal
        raise DeployError(f"{dist}/ lacks portal(s) {', '.join(unbuilt)} that sites/ configures (built with --site?); "
                          "deploying it would take them offline: run `reportal build` first")
    base_urls = {p.base_url.rstrip("/") for p in config.portals}
    recipients = recipients if recipients is not None else config.recipients
    if not recipients:
        raise DeployError("no age recipients: add analysts' public keys to sites/_defaults.yaml `recipients`")
    backend_params = {**options.backend_params(), **(backend_params or {})}
    edge_params = {**options.edge_params(), **(edge_params or {})}
    infra = root / "infra"
    backend_cfn = session.client("cloudformation", region_name=region)
    edge_cfn = session.client("cloudformation", region_name=EDGE_REGION)
    for client, name in ((backend_cfn, "backend.yaml"), (edge_cfn, "edge.yaml")):
        try:
            client.validate_template(TemplateBody=(infra / name).read_text(encoding="utf-8"))
        except ClientError as exc:
            raise DeployError(f"infra/{name} is not a valid template: {exc.response['Error'].get('Message')}") from exc
    if options.origin:
        check_base_url(base_urls, [options.origin], out)
    if dry_run:
        return plan_deploy(session, stack, root, region=region, account=account, recipients=recipients,
                           backend_params=backend_params, edge_params=edge_params, base_urls=base_urls, out=out)
    bundle = bundle or build_bundle(root, root / "build" / "function", root / "build" / "function.zip", out_stream=out)
    code = bundle.read_bytes()
    s3 = session.client("s3", region_name=region)
    bucket = _code_bucket(s3, account, region)
    key = f"{stack}/function-{hashlib.sha256(code).hexdigest()[:20]}.zip"
    s3.put_object(Bucket=bucket, Key=key, Body=code)
    print(f"function bundle: s3://{bucket}/{key} ({len(code) / 1e6:.1f} MB)", file=out)

    names = (f"{stack}-backend", f"{stack}-edge")
    fresh = _stack_status(backend_cfn, names[0]) is None or _stack_status(edge_cfn, names[1]) is None
    secret = secrets.token_urlsafe(32) if fresh else None  # 43 URL-safe chars; both stacks get it
    backend = _deploy_stack(backend_cfn, names[0], infra / "backend.yaml", {
        **_concurrency(session, region, out), **(backend_params or {}), "Recipients": ",".join(recipients),
        "OriginSecret": secret, "CodeBucket": bucket, "CodeKey": key}, out, poll_seconds)
    edge = _deploy_stack(edge_cfn, names[1], infra / "edge.yaml", {
        **(edge_params or {}), "FunctionUrlDomain": backend["FunctionUrlDomain"], "OriginSecret": secret},
        out, poll_seconds)

    if backend.get("AllowedOrigins", "") != edge["SiteOrigins"]:  # first deploy, or a new domain
        backend = _deploy_stack(backend_cfn, names[0], infra / "backend.yaml", {
            "Recipients": ",".join(recipients), "OriginSecret": None, "CodeBucket": bucket,
            "CodeKey": key, "AllowedOrigins": edge["SiteOrigins"]}, out, poll_seconds)
    print(f"uploading {dist}/ to s3://{edge['BucketName']}", file=out)
    synced = sync_site(session.client("s3", region_name=EDGE_REGION), edge["BucketName"], dist, out)
    invalidation = None
    if synced.uploaded or synced.deleted:
        invalidation = session.client("cloudfront").create_invalidation(
            DistributionId=edge["DistributionId"],
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": uuid.uuid4().hex},
        )["Invalidation"]["Id"]
    print(f"done: https://{edge['DistributionDomainName']}/ ({len(synced.uploaded)} uploaded, "
          f"{len(synced.deleted)} deleted, {synced.unchanged} unchanged); queue {backend['QueueUrl']}", file=out)
    check_base_url(base_urls, edge["SiteOrigins"].split(), out)
    return DeployResult(backend, edge, synced, invalidation)
