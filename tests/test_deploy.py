"""`reportal deploy` against a moto server reached through AWS_ENDPOINT_URL.

The real templates are deployed; resource types moto cannot create are stood in by
tests/infra/moto_shims.py. The bundle is built with a fake wheel installer (no PyPI).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from reportal import bundle as bundle_module
from reportal import deploy as deploy_module
from reportal.deploy import DeployError, DeployOptions, build_bundle, cache_control, content_type, deploy
from tests.infra import moto_shims
from tests.support import ROOT

PAGES = {"index.html": "<h1>portals</h1>", "404.html": "<h1>not found</h1>",
         "bz/en/index.html": "<form>report</form>", "bz/es/index.html": "<form>reportar</form>",
         "bz/en/thanks/index.html": "thanks", "eg/ar/index.html": "<form>أبلغ</form>",
         "assets/site.3f2a9c1b7d.css": "body{}", "assets/logo.svg": "<svg/>"}


def _fake_install(requirements: Path, target: Path) -> None:
    """Stand in for pip: one pure-Python 'dependency' named after the requirements file."""
    (target / "fakedep").mkdir()
    (target / "fakedep" / "__init__.py").write_text(f"# from {requirements.name}\nVALUE = 1\n")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A tiny checkout: the real infra/ and reportal/, a fake handler, dist/ and function data."""
    (tmp_path / "infra").symlink_to(ROOT / "infra")
    shutil.copytree(ROOT / "tests" / "fixtures" / "sites", tmp_path / "sites")
    shutil.copytree(ROOT / "reportal", tmp_path / "reportal", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "handler.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "lambda" / "requirements.txt").write_text("fakedep==1.0\n")
    (tmp_path / "build" / "function" / "bz").mkdir(parents=True)
    (tmp_path / "build" / "function" / "bz" / "portal.json").write_text('{"code": "bz"}')
    for key, text in PAGES.items():
        (tmp_path / "dist" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "dist" / key).write_text(text)
    return tmp_path


@pytest.fixture()
def moto_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    moto_shims.install()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # backends are global
    for name, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield endpoint
    server.stop()


def test_bundle_holds_handler_package_data_and_deps(repo: Path) -> None:
    # GIVEN a checkout WHEN the bundle is built twice
    first = build_bundle(repo, repo / "build" / "function", repo / "a.zip", install=_fake_install, out_stream=io.StringIO())
    second = build_bundle(repo, repo / "build" / "function", repo / "b.zip", install=_fake_install, out_stream=io.StringIO())
    names = set(zipfile.ZipFile(first).namelist())
    # THEN Lambda finds handler.handler at the root, with reportal, the data dir and the deps
    assert {"handler.py", "reportal/__init__.py", "reportal/deploy.py",
            "function_data/bz/portal.json", "fakedep/__init__.py"} <= names
    assert not any(n.endswith(".pyc") and "cpython-311" in n for n in names)
    if bundle_module._python313():  # bytecode for the Lambda runtime, never for this interpreter
        assert "reportal/__pycache__/__init__.cpython-313.pyc" in names
    # AND the zip is reproducible, so an unchanged function is not redeployed
    assert first.read_bytes() == second.read_bytes()


def test_bundle_refuses_missing_function_data(repo: Path) -> None:
    with pytest.raises(DeployError, match="function data comes from `reportal build`"):
        build_bundle(repo, repo / "nope", repo / "a.zip", install=_fake_install)


@pytest.mark.parametrize(("key", "ctype", "cache"), [
    ("bz/en/index.html", "text/html; charset=utf-8", "public, max-age=0, must-revalidate, s-maxage=86400"),
    ("assets/site.3f2a9c1b7d.css", "text/css; charset=utf-8", "public, max-age=31536000, immutable"),
    ("assets/logo.svg", "image/svg+xml", "public, max-age=86400"),
    ("robots.txt", "text/plain; charset=utf-8", "public, max-age=86400"),
    ("blob.unknownext", "application/octet-stream", "public, max-age=86400"),
])
def test_headers_per_file(key: str, ctype: str, cache: str) -> None:
    assert (content_type(key), cache_control(key)) == (ctype, cache)


def test_deploy_then_redeploy_one_changed_page(repo: Path, moto_endpoint: str) -> None:
    bundle = build_bundle(repo, repo / "build" / "function", repo / "fn.zip", install=_fake_install,
                          out_stream=io.StringIO())
    log = io.StringIO()
    # GIVEN nothing deployed WHEN deploy runs
    first = deploy("hotline", region="eu-west-1", root=repo, bundle=bundle, recipients=["age1analyst", "age1escrow"],
                   poll_seconds=0, out=log)
    # THEN both stacks exist, the function got the recipients, and every file is in the bucket
    cfn = boto3.client("cloudformation", region_name="eu-west-1")
    # created, then updated once with the edge's origin (AllowedOrigins)
    assert cfn.describe_stacks(StackName="hotline-backend")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    edge_cfn = boto3.client("cloudformation", region_name="us-east-1")
    assert edge_cfn.describe_stacks(StackName="hotline-edge")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    env = boto3.client("lambda", region_name="eu-west-1").get_function(
        FunctionName="hotline-backend-submit")["Configuration"]["Environment"]["Variables"]
    assert env["REPORTAL_RECIPIENTS"] == "age1analyst,age1escrow" and len(env["REPORTAL_ORIGIN_SECRET"]) == 43
    assert env["REPORTAL_ALLOWED_ORIGINS"] == f"https://{first.edge['DistributionDomainName']}"
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = first.edge["BucketName"]
    stored = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert stored == set(PAGES) | {deploy_module.HEADERS_MARKER} and sorted(first.sync.uploaded) == sorted(PAGES)
    for key in PAGES:
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type(key), cache_control(key))
    assert first.invalidation_id is not None
    assert "hotline-backend: CREATE_COMPLETE hotline-backend" in log.getvalue()  # moto logs stack events only
    assert "hotline-edge: CREATE_COMPLETE hotline-edge" in log.getvalue()

    # GIVEN one page changed and one removed WHEN deploy runs again
    (repo / "dist" / "bz" / "es" / "index.html").write_text("<form>reportar aquí</form>")
    (repo / "dist" / "bz" / "en" / "thanks" / "index.html").unlink()
    second = deploy("hotline", region="eu-west-1", root=repo, bundle=bundle, recipients=["age1analyst", "age1escrow"],
                    edge_params={"RateLimit": "50"}, poll_seconds=0, out=io.StringIO())
    # THEN only that page is uploaded, the removed one deleted, the secret kept
    assert (second.sync.uploaded, second.sync.deleted) == (["bz/es/index.html"], ["bz/en/thanks/index.html"])
    assert second.sync.unchanged == len(PAGES) - 2
    body = s3.get_object(Bucket=bucket, Key="bz/es/index.html")["Body"].read().decode()
    assert body == "<form>reportar aquí</form>"
    env_after = boto3.client("lambda", region_name="eu-west-1").get_function(
        FunctionName="hotline-backend-submit")["Configuration"]["Environment"]["Variables"]
    assert env_after["REPORTAL_ORIGIN_SECRET"] == env["REPORTAL_ORIGIN_SECRET"]
    edge_params = {p["ParameterKey"]: p["ParameterValue"]
                   for p in edge_cfn.describe_stacks(StackName="hotline-edge")["Stacks"][0]["Parameters"]}
    assert edge_params["RateLimit"] == "50"

    # AND a third run with nothing changed uploads nothing and invalidates nothing
    third = deploy("hotline", region="eu-west-1", root=repo, bundle=bundle, recipients=["age1analyst", "age1escrow"],
                   poll_seconds=0, out=io.StringIO())
    assert (third.sync.uploaded, third.sync.deleted, third.invalidation_id) == ([], [], None)


def test_deploy_refuses_a_dist_that_lacks_a_configured_portal(repo: Path, moto_endpoint: str) -> None:
    # GIVEN dist/ built for bz only (`reportal build --site bz`) while sites/ also configures eg
    shutil.rmtree(repo / "dist" / "eg")
    # WHEN deploy runs THEN it refuses before anything is created: the sync would delete eg's pages
    with pytest.raises(DeployError, match=r"dist/ lacks portal\(s\) eg that sites/ configures \(built with "
                                          r"--site\?\); deploying it would take them offline: run `reportal build`"):
        deploy("hotline", region="eu-west-1", root=repo, bundle=repo / "x.zip", recipients=["age1analyst"],
               poll_seconds=0, out=io.StringIO())
    assert _everything()["stacks/eu-west-1"] == []


def test_deploy_refuses_without_recipients(repo: Path, moto_endpoint: str) -> None:
    with pytest.raises(DeployError, match="no age recipients"):
        deploy("hotline", region="eu-west-1", root=repo, bundle=repo / "x.zip", poll_seconds=0, out=io.StringIO())


def _recipient() -> str:
    from pyrage import x25519

    return str(x25519.Identity.generate().to_public())


def test_deploy_seals_to_the_recipients_of_the_validated_config(repo: Path, moto_endpoint: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import reportal.deploy_plan

    # GIVEN two recipients in sites/_defaults.yaml and no recipients given to deploy
    keys = [_recipient(), _recipient()]
    defaults = repo / "sites" / "_defaults.yaml"
    defaults.write_text(defaults.read_text().replace("recipients: []", f"recipients: [{keys[0]}, {keys[1]}]"))
    planned: dict[str, object] = {}
    monkeypatch.setattr(reportal.deploy_plan, "plan_deploy", lambda *a, **kw: planned.update(kw) or "planned")
    # WHEN deploy plans
    assert deploy("hotline", region="eu-west-1", root=repo, dry_run=True, poll_seconds=0, out=io.StringIO()) == "planned"
    # THEN the function would seal to exactly those keys, read through the config build and check use
    assert planned["recipients"] == keys
    assert planned["base_urls"] == {"https://report.example.org"}


def test_deploy_refuses_recipients_set_in_one_portal_file(repo: Path, moto_endpoint: str) -> None:
    # GIVEN a portal file with its own `recipients` (one function seals every portal's reports alike)
    portal = repo / "sites" / "bz.yaml"
    portal.write_text(portal.read_text() + f"recipients: [{_recipient()}]\n")
    line = portal.read_text().splitlines().index(next(l for l in portal.read_text().splitlines()
                                                      if l.startswith("recipients:"))) + 1
    # WHEN deploy runs THEN it refuses, naming the file, line and key, before anything is created
    with pytest.raises(DeployError, match=rf"sites/bz.yaml:{line}: recipients: one function seals the reports "
                                          "of every portal to the same keys; set `recipients` in "
                                          "sites/_defaults.yaml only"):
        deploy("hotline", region="eu-west-1", root=repo, bundle=repo / "x.zip", poll_seconds=0, out=io.StringIO())
    assert _everything()["stacks/eu-west-1"] == []


class _LowQuotaSession:
    """Just enough of a boto3 session: a Lambda client reporting a new account's quota of 10."""

    def client(self, name: str, region_name: str) -> object:
        class _Lambda:
            def get_account_settings(self) -> dict:
                return {"AccountLimit": {"ConcurrentExecutions": 10}}
        return _Lambda()


def test_low_concurrency_quota_reserves_none() -> None:
    log = io.StringIO()
    assert deploy_module._concurrency(_LowQuotaSession(), "eu-west-1", log) == {"ReservedConcurrency": "0"}
    assert "quota is 10" in log.getvalue()


def _everything(region: str = "eu-west-1") -> dict[str, object]:
    """What exists in the emulator: stacks (both regions), change sets, buckets and their objects."""
    found: dict[str, object] = {}
    for r in (region, "us-east-1"):
        cfn = boto3.client("cloudformation", region_name=r)
        stacks = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
        found[f"stacks/{r}"] = sorted((s["StackName"], s["StackStatus"]) for s in stacks)
        found[f"change-sets/{r}"] = sorted(c["ChangeSetName"] for s in stacks
                                           for c in cfn.list_change_sets(StackName=s["StackName"]).get("Summaries", []))
    s3 = boto3.client("s3", region_name="us-east-1")
    for bucket in s3.list_buckets()["Buckets"]:
        objects = s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        found[f"bucket/{bucket['Name']}"] = sorted((o["Key"], o["ETag"]) for o in objects)
    return found


def test_dry_run_on_an_empty_account_creates_nothing(repo: Path, moto_endpoint: str) -> None:
    log = io.StringIO()
    # GIVEN nothing deployed WHEN deploy runs with dry_run
    plan = deploy("hotline", region="eu-west-1", root=repo, recipients=["age1analyst"], dry_run=True,
                  poll_seconds=0, out=log)
    # THEN it plans both stacks, the code bucket and every file, and nothing exists afterwards
    assert [(s.name, s.action) for s in plan.stacks] == [("hotline-backend", "create"), ("hotline-edge", "create")]
    assert "Add InboxPolicy (AWS::IAM::ManagedPolicy)" in plan.stacks[0].changes
    assert plan.code_bucket and plan.code_bucket.startswith("reportal-artifacts-")
    assert sorted(plan.upload) == sorted(PAGES) and plan.invalidate
    assert _everything() == {"stacks/eu-west-1": [], "change-sets/eu-west-1": [], "stacks/us-east-1": [],
                             "change-sets/us-east-1": []}
    assert log.getvalue().startswith("dry run: nothing was changed. A deploy would:\n")
    # AND no bundle was built (the slow step)
    assert not (repo / "build" / "function.zip").exists()


def test_dry_run_after_a_deploy_shows_changes_and_leaves_nothing(repo: Path, moto_endpoint: str) -> None:
    bundle = build_bundle(repo, repo / "build" / "function", repo / "fn.zip", install=_fake_install,
                          out_stream=io.StringIO())
    deploy("hotline", region="eu-west-1", root=repo, bundle=bundle, recipients=["age1analyst"], poll_seconds=0,
           out=io.StringIO())
    before = _everything()
    # GIVEN a changed page and a new rate limit WHEN dry run
    (repo / "dist" / "bz" / "es" / "index.html").write_text("<form>reportar aquí</form>")
    log = io.StringIO()
    plan = deploy("hotline", region="eu-west-1", root=repo, recipients=["age1analyst"], dry_run=True,
                  options=DeployOptions(rate_limit=50), poll_seconds=0, out=log)
    # THEN it names the one page and the parameter, and the emulator holds exactly what it held
    assert (plan.upload, plan.delete, plan.unchanged, plan.code_bucket) == (["bz/es/index.html"], [], len(PAGES) - 1, None)
    edge = plan.stacks[1]
    assert (edge.action, edge.parameters) == ("update", ["RateLimit: 100 → 50"])
    assert "  upload bz/es/index.html\n" in log.getvalue()
    assert _everything() == before


def test_deploy_without_credentials_fails_fast_in_one_line(repo: Path, tmp_path: Path) -> None:
    # GIVEN no AWS credentials anywhere boto3 looks (environment, files, SSO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    started = time.monotonic()
    # WHEN deploy runs
    done = subprocess.run([sys.executable, "-m", "reportal.cli", "--root", str(repo), "deploy", "--stack", "hotline",
                           "--region", "eu-west-1"], env=env, capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - started
    # THEN it stops within 5 s, with one line saying what to do, before any bundling
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("deploy failed: no AWS credentials found; give boto3 credentials: `aws configure`")
    assert elapsed < 5, elapsed
    assert not (repo / "build" / "function.zip").exists()


def test_an_unreachable_emulator_is_one_line_not_a_traceback(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run([sys.executable, "-m", "reportal.cli", "--root", str(repo), "deploy", "--stack", "hotline",
                           "--region", "eu-west-1", "--dry-run"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert done.stderr == (f"deploy failed: checking the AWS credentials: could not reach AWS (EndpointConnectionError); "
                           f"is the emulator at AWS_ENDPOINT_URL=http://127.0.0.1:{port} running?\n")


def test_an_emulator_refusal_is_one_line(repo: Path, moto_endpoint: str, capsys: pytest.CaptureFixture) -> None:
    # GIVEN a stack name CloudFormation refuses WHEN deploy runs THEN one line, exit 1
    from reportal.cli import main

    code = main(["--root", str(repo), "deploy", "--stack", "bad_name!", "--region", "eu-west-1", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("deploy failed: ") and err.count("\n") == 1, err


@pytest.mark.parametrize(("options", "problem"), [
    (DeployOptions(domain="report.example.org"), "--domain and --certificate-arn go together"),
    (DeployOptions(domain="Report Example", certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/"
                   "12345678-1234-1234-1234-123456789012"), "--domain 'Report Example' is not a host name"),
    (DeployOptions(domain="report.example.org", certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/"
                   "12345678-1234-1234-1234-123456789012"), "--certificate-arn must be an ACM certificate in us-east-1"),
    (DeployOptions(alarm_email="ops"), "--alarm-email 'ops' is not an email address"),
    (DeployOptions(rate_limit=5), "--rate-limit must be between 10 and 2000000000"),
    (DeployOptions(log_retention=31), "--log-retention must be one of 1, 3, 5, 7, 14, 30, 60, 90"),
    (DeployOptions(inbox_access="roles-anywhere"), "--inbox-access roles-anywhere needs --inbox-ca FILE"),
])
def test_bad_options_are_refused_before_anything_is_sent(options: DeployOptions, problem: str) -> None:
    (found,) = options.problems()
    assert found.startswith(problem)


def test_options_map_onto_the_stack_parameters() -> None:
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    options = DeployOptions(domain="report.example.org", certificate_arn=arn, alarm_email="ops@example.org",
                            rate_limit=300, log_retention=90, inbox_access="iam-user")
    assert options.problems() == []
    assert options.backend_params() == {"AlarmEmail": "ops@example.org", "LogRetentionDays": "90", "InboxAccess": "iam-user"}
    assert options.edge_params() == {"DomainNames": "report.example.org", "CertificateArn": arn, "RateLimit": "300"}


def test_changed_header_rules_upload_every_file_again(repo: Path, moto_endpoint: str) -> None:
    # GIVEN a bucket whose pages were uploaded under older rules (HTML `no-cache`, no marker)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="site")
    for key, text in PAGES.items():
        s3.put_object(Bucket="site", Key=key, Body=text.encode(), CacheControl="no-cache")
    # WHEN synced THEN every file goes up again with today's headers, and the next sync skips them
    first = deploy_module.sync_site(s3, "site", repo / "dist", io.StringIO())
    assert sorted(first.uploaded) == sorted(PAGES)
    assert s3.head_object(Bucket="site", Key="bz/en/index.html")["CacheControl"] == deploy_module.HTML_CACHE_CONTROL
    assert deploy_module.sync_site(s3, "site", repo / "dist", io.StringIO()).unchanged == len(PAGES)


def test_base_url_elsewhere_is_a_warning_that_says_what_to_do() -> None:
    out = io.StringIO()
    assert not deploy_module.check_base_url({"https://report.iwf.org.uk"}, ["https://d1.cloudfront.net"], out)
    assert out.getvalue() == (
        "warning: base_url https://report.iwf.org.uk is not where the portals are served (https://d1.cloudfront.net); "
        "set base_url in sites/_defaults.yaml to https://d1.cloudfront.net, then run `reportal build` and "
        "`reportal deploy` again\n")
    assert deploy_module.check_base_url({"https://d1.cloudfront.net"}, ["https://d1.cloudfront.net"], io.StringIO())
