"""`reportal deploy --dry-run`: what a deploy would change, found without changing anything.

Read-only calls only (DescribeStacks, HeadBucket, ListObjectsV2), plus one CloudFormation
change set per existing stack, which is deleted again whatever happens. A stack that does not
exist yet is described from its template instead: a CREATE change set would leave an empty
stack in REVIEW_IN_PROGRESS behind. The function bundle is not built: its code is compared
on the real deploy (its S3 key is the bundle's SHA-256).
"""
from __future__ import annotations

import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import ClientError

from reportal.bundle import DeployError

__all__ = ["DeployPlan", "StackPlan", "plan_deploy"]


@dataclass
class StackPlan:
    """One stack: `action` "create", "update", "recreate" or "unchanged"; `changes` one line each
    (e.g. "Modify SubmitWebAcl (AWS::WAFv2::WebACL)"); `parameters` "Name: old → new"."""

    name: str
    action: str
    changes: list[str] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)


@dataclass
class DeployPlan:
    """What `deploy` would do: the code bucket it would create (None: it exists), each stack,
    the files it would upload and delete, and whether it would invalidate the CDN."""

    code_bucket: str | None
    stacks: list[StackPlan]
    upload: list[str]
    delete: list[str]
    unchanged: int
    invalidate: bool


def _template_resources(body: str) -> list[str]:
    from reportal.deploy import _TaglessLoader  # the loader that reads !Ref and friends
    import yaml

    resources = (yaml.load(body, Loader=_TaglessLoader) or {}).get("Resources") or {}  # noqa: S506 (safe subclass)
    return [f"Add {name} ({r.get('Type')})" + (f" if {r['Condition']}" if r.get("Condition") else "")
            for name, r in resources.items()]


def _parameter_changes(existing: dict[str, Any], params: dict[str, str | None]) -> list[str]:
    before = {p["ParameterKey"]: p.get("ParameterValue", "") for p in existing.get("Parameters", [])}
    out = []
    for key, value in sorted(params.items()):
        if value is None or before.get(key) == value:
            continue
        shown_old = "****" if before.get(key) == "****" else (before.get(key) or "(default)")
        shown_new = value if len(value) <= 80 else value[:77] + "…"
        out.append(f"{key}: {shown_old} → {shown_new}")
    return out


def _change_set(cfn: Any, name: str, body: str, params: dict[str, str | None], existing: dict[str, Any],
                poll: float) -> list[str]:
    """Resource changes an update of `name` would make; the change set is always deleted."""
    parameters = [{"ParameterKey": k, "UsePreviousValue": True} if v is None else {"ParameterKey": k, "ParameterValue": v}
                  for k, v in params.items()]
    parameters += [{"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
                   for p in existing.get("Parameters", []) if p["ParameterKey"] not in params]
    change_set = f"reportal-dry-run-{uuid.uuid4().hex[:12]}"
    try:
        cfn.create_change_set(StackName=name, ChangeSetName=change_set, ChangeSetType="UPDATE", TemplateBody=body,
                              Parameters=parameters, Capabilities=["CAPABILITY_IAM"])
    except ClientError as exc:
        if "No updates are to be performed" in str(exc):  # moto says so at once; AWS fails the change set
            return []
        raise
    try:
        while True:
            described = cfn.describe_change_set(StackName=name, ChangeSetName=change_set)
            if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
                break
            time.sleep(poll)
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason") or ""
            if "didn't contain changes" in reason or "No updates" in reason:  # CloudFormation's only signal
                return []
            raise DeployError(f"planning {name}: {reason}")
        changes = list(described.get("Changes", []))
        while described.get("NextToken"):
            described = cfn.describe_change_set(StackName=name, ChangeSetName=change_set,
                                                NextToken=described["NextToken"])
            changes += described.get("Changes", [])
    finally:
        cfn.delete_change_set(StackName=name, ChangeSetName=change_set)
    out = []
    for change in changes:
        rc = change.get("ResourceChange", {})
        replaced = " (replaced)" if rc.get("Replacement") == "True" else ""
        out.append(f"{rc.get('Action')} {rc.get('LogicalResourceId')} ({rc.get('ResourceType')}){replaced}")
    return out


def _plan_stack(cfn: Any, name: str, template: Path, params: dict[str, str | None], poll: float) -> tuple[StackPlan, dict]:
    from reportal.deploy import _stack_status

    body = template.read_text(encoding="utf-8")
    existing = _stack_status(cfn, name)
    if existing is None:
        return StackPlan(name, "create", _template_resources(body)), {}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in existing.get("Outputs", [])}
    if existing["StackStatus"] == "ROLLBACK_COMPLETE":
        return StackPlan(name, "recreate", _template_resources(body)), outputs
    if existing["StackStatus"].endswith("IN_PROGRESS"):
        raise DeployError(f"stack {name} is busy ({existing['StackStatus']}); try again when it settles")
    changes = _change_set(cfn, name, body, params, existing, poll)
    parameters = _parameter_changes(existing, params)
    return StackPlan(name, "update" if changes or parameters else "unchanged", changes, parameters), outputs


def plan_deploy(session: Any, stack: str, root: Path, *, region: str, account: str, recipients: list[str],
                backend_params: dict[str, str], edge_params: dict[str, str], base_urls: set[str],
                poll_seconds: float = 1.0, out: TextIO = sys.stderr) -> DeployPlan:
    """Find and print what `deploy` would change (see the module docstring); change nothing."""
    from reportal.deploy import EDGE_REGION, check_base_url, plan_sync

    bucket = f"reportal-artifacts-{account}-{region}"
    try:
        session.client("s3", region_name=region).head_bucket(Bucket=bucket)
        create_bucket = None
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        create_bucket = bucket
    infra = root / "infra"
    backend, backend_out = _plan_stack(session.client("cloudformation", region_name=region), f"{stack}-backend",
                                       infra / "backend.yaml", {**backend_params, "Recipients": ",".join(recipients),
                                       "OriginSecret": None, "CodeBucket": None, "CodeKey": None}, poll_seconds)
    edge, edge_out = _plan_stack(session.client("cloudformation", region_name=EDGE_REGION), f"{stack}-edge",
                                 infra / "edge.yaml", {**edge_params, "FunctionUrlDomain": backend_out.get("FunctionUrlDomain"),
                                                       "OriginSecret": None}, poll_seconds)
    dist = root / "dist"
    if edge_out.get("BucketName"):
        synced, _, _ = plan_sync(session.client("s3", region_name=EDGE_REGION), edge_out["BucketName"], dist)
        upload, delete, unchanged = synced.uploaded, synced.deleted, synced.unchanged
    else:
        upload, delete, unchanged = sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()), [], 0
    plan = DeployPlan(create_bucket, [backend, edge], upload, delete, unchanged, bool(upload or delete))
    _print(plan, out)
    if edge_out.get("SiteOrigins") and "DomainNames" not in edge_params:
        check_base_url(base_urls, edge_out["SiteOrigins"].split(), out)
    return plan


def _print(plan: DeployPlan, out: TextIO) -> None:
    print("dry run: nothing was changed. A deploy would:", file=out)
    if plan.code_bucket:
        print(f"  create the private bucket {plan.code_bucket} for function bundles", file=out)
    print("  build the function bundle and upload it (its code is compared on the real deploy)", file=out)
    for stack in plan.stacks:
        verb = {"create": "create", "recreate": "delete the failed first attempt and create", "update": "update",
                "unchanged": "leave unchanged"}[stack.action]
        print(f"  {verb} stack {stack.name}", file=out)
        for line in stack.parameters + stack.changes:
            print(f"    {line}", file=out)
    for key in plan.upload:
        print(f"  upload {key}", file=out)
    for key in plan.delete:
        print(f"  delete {key}", file=out)
    print(f"  {len(plan.upload)} file(s) to upload, {len(plan.delete)} to delete, {plan.unchanged} unchanged"
          + ("; then invalidate the CDN (/*)" if plan.invalidate else ""), file=out)
