"""infra/backend.yaml deployed into moto's CloudFormation; the created resources are inspected.

moto does not model Architectures (it reports x86_64), the Function URL, the queue policy or
the alarms as real resources: those are pinned in test_templates.py and stood in by moto_shims.
"""
from __future__ import annotations

import ast
import json
from typing import Any, Iterator

import boto3
import pytest
from moto import mock_aws

from tests.infra import moto_shims
from tests.support import ROOT

REGION = "eu-west-1"
TEMPLATE = ROOT / "infra" / "backend.yaml"
SECRET = "s" * 43


@pytest.fixture(scope="module")
def stack() -> Iterator[dict[str, Any]]:
    moto_shims.install()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        moto_shims.upload_code(s3, "fn/abc.zip")
        cfn = boto3.client("cloudformation", region_name=REGION)
        params = {"Recipients": "age1one,age1two", "OriginSecret": SECRET, "CodeBucket": "code",
                  "CodeKey": "fn/abc.zip", "ReservedConcurrency": "7", "LogRetentionDays": "14"}
        cfn.create_stack(StackName="hotline", TemplateBody=TEMPLATE.read_text(), Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        described = cfn.describe_stacks(StackName="hotline")["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        resources = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                     for r in cfn.list_stack_resources(StackName="hotline")["StackResourceSummaries"]}
        yield {"status": described["StackStatus"], "outputs": outputs, "resources": resources}


def test_stack_completes_with_outputs(stack: dict) -> None:
    assert stack["status"] == "CREATE_COMPLETE"
    assert stack["outputs"]["FunctionName"] == "hotline-submit"
    assert stack["outputs"]["FunctionUrl"].startswith("https://")
    assert stack["outputs"]["FunctionUrlDomain"].endswith(".lambda-url.eu-west-1.on.aws")
    assert stack["outputs"]["QueueUrl"] == stack["resources"]["ReportQueue"]


def test_queue_is_encrypted_with_redrive_to_dlq(stack: dict) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    attrs = sqs.get_queue_attributes(QueueUrl=stack["outputs"]["QueueUrl"], AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=stack["outputs"]["DeadLetterQueueUrl"], AttributeNames=["All"])["Attributes"]
    assert attrs["SqsManagedSseEnabled"] == "true" and dlq["SqsManagedSseEnabled"] == "true"
    assert json.loads(attrs["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"], "maxReceiveCount": 5}
    assert int(dlq["MessageRetentionPeriod"]) == 1209600 >= int(attrs["MessageRetentionPeriod"])


def test_role_policy_sends_to_the_queue_only(stack: dict) -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = stack["resources"]["FunctionRole"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    doc = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    if isinstance(doc, str):  # moto keeps a CloudFormation-made inline policy as Python repr text
        doc = ast.literal_eval(doc)
    queue_arn = stack["outputs"]["QueueArn"]
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["SendSealedReports"]["Action"] == "sqs:SendMessage"
    assert by_sid["SendSealedReports"]["Resource"] == queue_arn
    assert by_sid["WriteOwnLogs"]["Resource"].startswith(
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/hotline-submit")
    assert set(by_sid) == {"SendSealedReports", "WriteOwnLogs"}


def test_function_configuration(stack: dict) -> None:
    lam = boto3.client("lambda", region_name=REGION)
    fn = lam.get_function(FunctionName="hotline-submit")["Configuration"]
    assert (fn["Runtime"], fn["Handler"], fn["MemorySize"], fn["Timeout"]) == ("python3.13", "handler.handler", 512, 10)
    assert fn["Environment"]["Variables"] == {
        "REPORTAL_QUEUE_URL": stack["outputs"]["QueueUrl"],
        "REPORTAL_RECIPIENTS": "age1one,age1two",
        "REPORTAL_ORIGIN_SECRET": SECRET,
        "REPORTAL_ALLOWED_ORIGINS": "",
        "REPORTAL_DATA_DIR": "/var/task/function_data",
        "POWERTOOLS_SERVICE_NAME": "reportal-submit",
        "POWERTOOLS_METRICS_NAMESPACE": "Reportal",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    assert fn["Role"].endswith("/" + stack["resources"]["FunctionRole"])
    assert lam.get_function_concurrency(FunctionName="hotline-submit")["ReservedConcurrentExecutions"] == 7
    assert lam.get_function_url_config(FunctionName="hotline-submit")["AuthType"] == "NONE"


def test_log_group_retention(stack: dict) -> None:
    logs = boto3.client("logs", region_name=REGION)
    (group,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/hotline-submit")["logGroups"]
    assert group["retentionInDays"] == 14
