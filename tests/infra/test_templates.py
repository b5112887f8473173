"""The promises of infra/*.yaml that neither cfn-lint nor moto checks, read from the templates."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint import api
from cfnlint.decode import cfn_yaml

from reportal.headers import CONTENT_SECURITY_POLICY, CSP_MAX_CHARS, SECURITY_HEADERS
from reportal.submit.settings import ENV_NAMES, Settings
from tests.support import ROOT

INFRA = ROOT / "infra"


def _load(name: str) -> dict[str, Any]:
    return cfn_yaml.loads((INFRA / name).read_text(encoding="utf-8"), str(INFRA / name))


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    return _load("backend.yaml")


@pytest.fixture(scope="module")
def edge() -> dict[str, Any]:
    return _load("edge.yaml")


def _of_type(template: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_name}


@pytest.mark.parametrize(("name", "regions"), [
    ("backend.yaml", ["eu-west-1", "us-east-1", "ap-south-1", "af-south-1", "sa-east-1"]),
    ("edge.yaml", ["us-east-1"]),  # CloudFront-scoped WAF and its certificate live only there
])
def test_cfn_lint_passes(name: str, regions: list[str]) -> None:
    # GIVEN a template WHEN cfn-lint checks it for the regions it deploys to THEN nothing is found
    matches = api.lint((INFRA / name).read_text(encoding="utf-8"), regions=regions)
    assert [str(m) for m in matches] == []


def test_templates_are_plain_cloudformation(backend: dict, edge: dict) -> None:
    assert "Transform" not in backend and "Transform" not in edge


def test_function_role_may_only_send_to_the_one_queue(backend: dict) -> None:
    role = backend["Resources"]["FunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role and "PermissionsBoundary" not in role
    assert not _of_type(backend, "AWS::IAM::Policy")
    assert list(_of_type(backend, "AWS::IAM::ManagedPolicy")) == ["InboxPolicy"]  # the hotline's (test_inbox_access)
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    granted = {(s["Effect"], a, repr(s["Resource"]))
               for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert granted == {
        ("Allow", "sqs:SendMessage", repr({"Fn::GetAtt": ["ReportQueue", "Arn"]})),
        ("Allow", "logs:CreateLogStream", repr({"Fn::GetAtt": ["FunctionLogGroup", "Arn"]})),
        ("Allow", "logs:PutLogEvents", repr({"Fn::GetAtt": ["FunctionLogGroup", "Arn"]})),
    }
    text = repr(statements)
    for forbidden in ("kms:", "ReceiveMessage", "DeleteMessage", "'*'", "NotAction", "NotResource"):
        assert forbidden not in text


def test_function_runtime_and_environment(backend: dict) -> None:
    fn = backend["Resources"]["SubmitFunction"]["Properties"]
    assert (fn["Runtime"], fn["Architectures"], fn["Handler"]) == ("python3.13", ["arm64"], "handler.handler")
    env = fn["Environment"]["Variables"]
    assert env == {
        "REPORTAL_QUEUE_URL": {"Ref": "ReportQueue"},
        "REPORTAL_RECIPIENTS": {"Ref": "Recipients"},
        "REPORTAL_ORIGIN_SECRET": {"Ref": "OriginSecret"},
        "REPORTAL_ALLOWED_ORIGINS": {"Ref": "AllowedOrigins"},
        "REPORTAL_DATA_DIR": "/var/task/function_data",
        "POWERTOOLS_SERVICE_NAME": "reportal-submit",
        "POWERTOOLS_METRICS_NAMESPACE": "Reportal",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    assert fn["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReserveConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}
    assert fn["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionLogGroup"}}


def test_no_debug_or_event_logging_anywhere() -> None:
    # Either would write whole requests (reports) to CloudWatch Logs.
    for name in ("backend.yaml", "edge.yaml"):
        text = (INFRA / name).read_text(encoding="utf-8")
        assert "POWERTOOLS_DEBUG" not in text and "LOG_EVENT" not in text


def test_function_environment_matches_settings(backend: dict, tmp_path: Path) -> None:
    variables = backend["Resources"]["SubmitFunction"]["Properties"]["Environment"]["Variables"]
    # THEN the template passes every variable Settings reads, and nothing else of ours
    assert {n for n in variables if n.startswith("REPORTAL_")} | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"} \
        == set(ENV_NAMES.values())
    # GIVEN the template's values with example parameters WHEN the function reads them
    (tmp_path / "site.json").write_text("{}")
    examples = {"ReportQueue": "https://sqs.eu-west-1.amazonaws.com/123456789012/q", "Recipients": "age1a,age1b",
                "OriginSecret": "s" * 43, "AllowedOrigins": "https://d111.cloudfront.net https://report.example.org"}
    env = {k: examples[v["Ref"]] if isinstance(v, dict) else v for k, v in variables.items()}
    env["REPORTAL_DATA_DIR"] = str(tmp_path)  # /var/task/function_data exists only on Lambda
    settings = Settings.from_env(env)
    # THEN every setting, the optional ones included, is filled from the template
    assert settings.recipients == ("age1a", "age1b") and settings.origin_secret == "s" * 43
    assert settings.allowed_origins == {"https://d111.cloudfront.net", "https://report.example.org"}
    assert (settings.service, settings.metrics_namespace) == ("reportal-submit", "Reportal")


def test_public_function_url_has_both_permissions(backend: dict) -> None:
    (url,) = _of_type(backend, "AWS::Lambda::Url").values()
    assert url["Properties"]["AuthType"] == "NONE"
    perms = sorted((p["Properties"] for p in _of_type(backend, "AWS::Lambda::Permission").values()),
                   key=lambda p: p["Action"])
    assert perms == [
        {"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "SubmitFunction"},
         "Principal": "*", "InvokedViaFunctionUrl": True},
        {"Action": "lambda:InvokeFunctionUrl", "FunctionName": {"Ref": "SubmitFunction"},
         "Principal": "*", "FunctionUrlAuthType": "NONE"},
    ]


def test_queues_encrypted_and_dead_letter_outlives_source(backend: dict) -> None:
    queue = backend["Resources"]["ReportQueue"]["Properties"]
    dlq = backend["Resources"]["DeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                                      "maxReceiveCount": 5}
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["MessageRetentionPeriod"] >= queue.get("MessageRetentionPeriod", 4 * 24 * 3600)


def test_queues_hold_what_the_function_may_seal(backend: dict) -> None:
    # The envelope check and both queues agree on 1 MiB (the SQS maximum); a dead-letter queue
    # smaller than its source could not take a moved message.
    from reportal.envelope import SQS_MAX_MESSAGE_BYTES

    queues = _of_type(backend, "AWS::SQS::Queue")
    assert SQS_MAX_MESSAGE_BYTES == 1_048_576
    assert {name: q["Properties"]["MaximumMessageSize"] for name, q in queues.items()} == {
        "ReportQueue": SQS_MAX_MESSAGE_BYTES, "DeadLetterQueue": SQS_MAX_MESSAGE_BYTES}


def test_the_preview_and_tests_create_the_queues_the_template_declares(backend: dict) -> None:
    # GIVEN the one definition the preview, the tests and the bench create their queues from
    from reportal.local_aws import queue_properties

    declared = queue_properties()
    declared["ReportQueue"]["RedrivePolicy"]["deadLetterTargetArn"] = {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
    # THEN infra/backend.yaml declares exactly those queues with exactly those properties
    assert {name: q["Properties"] for name, q in _of_type(backend, "AWS::SQS::Queue").items()} == declared


def test_create_queues_gives_moto_those_properties() -> None:
    # GIVEN an SQS endpoint WHEN the preview's queues are created THEN SQS reports the declared attributes
    import json

    import boto3
    from moto import mock_aws

    from reportal.local_aws import create_queues

    with mock_aws():
        sqs = boto3.client("sqs", region_name="eu-west-2")
        attrs = sqs.get_queue_attributes(QueueUrl=create_queues(sqs, "q"), AttributeNames=["All"])["Attributes"]
        dlq = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="q-dlq")["QueueUrl"],
                                       AttributeNames=["All"])["Attributes"]
    assert (attrs["VisibilityTimeout"], attrs["MessageRetentionPeriod"], attrs["MaximumMessageSize"]) == \
        ("60", "1209600", "1048576")
    assert attrs["SqsManagedSseEnabled"] == dlq["SqsManagedSseEnabled"] == "true"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 5}
    assert (dlq["MessageRetentionPeriod"], dlq["MaximumMessageSize"]) == ("1209600", "1048576")


def test_alarms_watch_dead_letters_and_errors(backend: dict) -> None:
    watched = {(a["Properties"]["MetricName"], repr(a["Properties"]["Dimensions"][0]["Value"]))
               for a in _of_type(backend, "AWS::CloudWatch::Alarm").values()}
    assert ("ApproximateNumberOfMessagesVisible", repr({"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]})) in watched
    assert ("Errors", repr({"Ref": "SubmitFunction"})) in watched
    assert ("ApproximateAgeOfOldestMessage", repr({"Fn::GetAtt": ["ReportQueue", "QueueName"]})) in watched


def test_secret_parameters_are_not_echoed(backend: dict, edge: dict) -> None:
    assert backend["Parameters"]["OriginSecret"]["NoEcho"] is True
    assert edge["Parameters"]["OriginSecret"]["NoEcho"] is True
    assert backend["Parameters"]["LogRetentionDays"]["Default"] == 30


def test_bucket_is_private_and_read_only_by_the_distribution(edge: dict) -> None:
    bucket = edge["Resources"]["SiteBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert "WebsiteConfiguration" not in bucket and "AccessControl" not in bucket
    statements = edge["Resources"]["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]
    site_origin = edge["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert site_origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}


def test_submit_goes_uncached_to_the_function_with_the_secret(edge: dict) -> None:
    config = edge["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    (submit,) = [o for o in config["Origins"] if o["Id"] == "submit"]
    assert submit["OriginCustomHeaders"] == [{"HeaderName": "x-reportal-origin", "HeaderValue": {"Ref": "OriginSecret"}}]
    (behaviour,) = config["CacheBehaviors"]
    assert behaviour["PathPattern"] == "/submit" and behaviour["TargetOriginId"] == "submit"
    assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert behaviour["OriginRequestPolicyId"] == {"Ref": "SubmitOriginRequestPolicy"}
    assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "site"


def test_function_receives_only_the_viewer_headers_it_reads(edge: dict) -> None:
    # GIVEN the viewer headers the submission function reads (every headers.get("…") in app.py)
    source = (Path(__file__).parents[2] / "reportal" / "submit" / "app.py").read_text(encoding="utf-8")
    read = set(re.findall(r'headers\.get\("([a-z-]+)"', source)) - {"x-reportal-origin"}  # set by CloudFront
    # WHEN CloudFront forwards a report to the function
    config = edge["Resources"]["SubmitOriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]
    # THEN exactly those viewer headers go, and no cookie or query string
    assert config["HeadersConfig"]["HeaderBehavior"] == "whitelist"
    assert {h.lower() for h in config["HeadersConfig"]["Headers"]} == read == {"content-type", "origin"}
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def _policy_headers(policy: dict[str, Any]) -> dict[str, str]:
    """Render a ResponseHeadersPolicyConfig into the headers CloudFront sends."""
    sec = policy["SecurityHeadersConfig"]
    hsts = sec["StrictTransportSecurity"]
    headers = {
        "Content-Security-Policy": sec["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Referrer-Policy": sec["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": sec["FrameOptions"]["FrameOption"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts["IncludeSubdomains"] else "") + ("; preload" if hsts["Preload"] else ""),
    }
    headers.update({h["Header"]: h["Value"] for h in policy["CustomHeadersConfig"]["Items"]})
    return headers


def test_cdn_sends_exactly_the_preview_headers(edge: dict) -> None:
    policy = edge["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert len(csp) <= CSP_MAX_CHARS == 1783
    assert "frame-ancestors 'none'" in csp
    assert _policy_headers(policy) == SECURITY_HEADERS
    overrides = [v["Override"] for v in policy["SecurityHeadersConfig"].values()]
    overrides += [h["Override"] for h in policy["CustomHeadersConfig"]["Items"]]
    assert all(overrides)


def test_waf_rate_limits_submissions_at_cloudfront_scope(edge: dict) -> None:
    (acl,) = _of_type(edge, "AWS::WAFv2::WebACL").values()
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    (rule,) = acl["Properties"]["Rules"]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rule["Action"] == {"Block": {}}
    assert (rate["Limit"], rate["AggregateKeyType"]) == ({"Ref": "RateLimit"}, "IP")
    assert rate["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/submit"
    assert edge["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["WebACLId"] == {
        "Fn::GetAtt": ["SubmitWebAcl", "Arn"]}


def test_outputs_that_deploy_reads(backend: dict, edge: dict) -> None:
    assert {"QueueUrl", "FunctionUrl", "FunctionUrlDomain", "FunctionName"} <= set(backend["Outputs"])
    assert {"QueueUrl", "AllowedOrigins"} <= set(backend["Outputs"])
    assert {"BucketName", "DistributionId", "DistributionDomainName", "SiteOrigins"} <= set(edge["Outputs"])
    assert set(edge["Parameters"]) >= {"FunctionUrlDomain", "OriginSecret", "RateLimit"}
