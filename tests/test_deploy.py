"""`reportal deploy` against a moto server reached through AWS_ENDPOINT_URL.

The real templates are deployed; resource types moto cannot create are stood in by
tests/infra/moto_shims.py. The bundle is built with a fake wheel installer (no PyPI).
"""
from __future__ import annotations

import importlib.util
import io
import shutil
import zipfile
from pathlib import Path
from typing import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from reportal import bundle as bundle_module
from reportal import deploy as deploy_module
from reportal.deploy import DeployError, build_bundle, cache_control, content_type, deploy

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("moto_shims", REPO / "tests" / "infra" / "moto_shims.py")
moto_shims = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(moto_shims)

PAGES = {"index.html": "<h1>portals</h1>", "404.html": "<h1>not found</h1>",
         "bz/en/index.html": "<form>report</form>", "bz/es/index.html": "<form>reportar</form>",
         "bz/en/thanks/index.html": "thanks", "assets/site.3f2a9c1b7d.css": "body{}", "assets/logo.svg": "<svg/>"}


def _fake_install(requirements: Path, target: Path) -> None:
    """Stand in for pip: one pure-Python 'dependency' named after the requirements file."""
    (target / "fakedep").mkdir()
    (target / "fakedep" / "__init__.py").write_text(f"# from {requirements.name}\nVALUE = 1\n")


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A tiny checkout: the real infra/ and reportal/, a fake handler, dist/ and function data."""
    (tmp_path / "infra").symlink_to(REPO / "infra")
    shutil.copytree(REPO / "reportal", tmp_path / "reportal", ignore=shutil.ignore_patterns("__pycache__"))
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
    ("bz/en/index.html", "text/html; charset=utf-8", "no-cache"),
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
    assert stored == set(PAGES) and sorted(first.sync.uploaded) == sorted(PAGES)
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


def test_deploy_refuses_without_recipients(repo: Path, moto_endpoint: str) -> None:
    (repo / "sites").mkdir()
    (repo / "sites" / "_defaults.yaml").write_text("recipients: []\n")
    with pytest.raises(DeployError, match="no age recipients"):
        deploy("hotline", region="eu-west-1", root=repo, bundle=repo / "x.zip", poll_seconds=0, out=io.StringIO())


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
