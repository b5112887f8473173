"""The hotline's inbox access (infra/backend.yaml): the policy can drain the queue and redrive
dead letters, and nothing else; only the role (IAM Roles Anywhere) or the user (fallback) holds
it. Alarms reach the alarm topic, which mails the address given to `reportal deploy`."""
from __future__ import annotations

from typing import Any

import boto3
import pytest
from cfnlint.decode import cfn_yaml
from moto import mock_aws

from tests.infra import moto_shims
from tests.support import ROOT

TEMPLATE = ROOT / "infra" / "backend.yaml"
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def backend() -> dict[str, Any]:
    return cfn_yaml.loads(TEMPLATE.read_text(encoding="utf-8"), str(TEMPLATE))


def _grants(policy: dict[str, Any]) -> set[tuple[str, str, str]]:
    out = set()
    for s in policy["Statement"]:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        out |= {(s["Effect"], a, repr(s["Resource"])) for a in actions}
    return out


QUEUE = repr({"Fn::GetAtt": ["ReportQueue", "Arn"]})
DLQ = repr({"Fn::GetAtt": ["DeadLetterQueue", "Arn"]})


def test_inbox_policy_grants_exactly_drain_and_redrive(backend: dict) -> None:
    # GIVEN the inbox policy WHEN every (effect, action, resource) is listed
    policy = backend["Resources"]["InboxPolicy"]["Properties"]["PolicyDocument"]
    # THEN it is exactly: drain the queue, send redriven letters back to it, see and move dead letters
    assert _grants(policy) == {
        ("Allow", "sqs:ReceiveMessage", QUEUE), ("Allow", "sqs:DeleteMessage", QUEUE),
        ("Allow", "sqs:ChangeMessageVisibility", QUEUE), ("Allow", "sqs:GetQueueAttributes", QUEUE),
        ("Allow", "sqs:SendMessage", QUEUE),
        ("Allow", "sqs:GetQueueUrl", DLQ), ("Allow", "sqs:GetQueueAttributes", DLQ),
        ("Allow", "sqs:ReceiveMessage", DLQ), ("Allow", "sqs:DeleteMessage", DLQ),
        ("Allow", "sqs:ChangeMessageVisibility", DLQ), ("Allow", "sqs:StartMessageMoveTask", DLQ),
        ("Allow", "sqs:ListMessageMoveTasks", DLQ),
    }
    # AND no wildcard, negation or condition can widen it
    text = repr(policy)
    for forbidden in ("*", "NotAction", "NotResource", "Condition", "kms:", "iam:", "sts:", "sqs:Purge",
                      "sqs:SetQueueAttributes", "sqs:DeleteQueue", "sqs:CreateQueue"):
        assert forbidden not in text


def test_only_the_inbox_role_or_user_hold_the_policy(backend: dict) -> None:
    holders = {name for name, r in backend["Resources"].items()
               if {"Ref": "InboxPolicy"} in r.get("Properties", {}).get("ManagedPolicyArns", [])}
    assert holders == {"InboxRole", "InboxUser"}
    role, user = backend["Resources"]["InboxRole"], backend["Resources"]["InboxUser"]
    assert (role["Condition"], user["Condition"]) == ("UseRolesAnywhere", "UseInboxUser")
    assert set(role["Properties"]) == {"Description", "MaxSessionDuration", "ManagedPolicyArns",
                                       "AssumeRolePolicyDocument"}  # no inline policy, no boundary swap
    assert set(user["Properties"]) == {"ManagedPolicyArns"}  # no keys in the template, no login profile


def test_roles_anywhere_trusts_only_the_stacks_anchor_and_the_inbox_certificate(backend: dict) -> None:
    trust = backend["Resources"]["InboxRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust == [{
        "Sid": "InboxMachineCertificate", "Effect": "Allow",
        "Principal": {"Service": "rolesanywhere.amazonaws.com"},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["InboxTrustAnchor", "TrustAnchorArn"]}},
                      "StringEquals": {"aws:PrincipalTag/x509Subject/CN": {"Ref": "InboxCertificateName"}}},
    }]
    profile = backend["Resources"]["InboxProfile"]["Properties"]
    assert profile["RoleArns"] == [{"Fn::GetAtt": ["InboxRole", "Arn"]}] and "ManagedPolicyArns" not in profile
    anchor = backend["Resources"]["InboxTrustAnchor"]["Properties"]["Source"]
    assert anchor == {"SourceType": "CERTIFICATE_BUNDLE", "SourceData": {"X509CertificateData": {"Ref": "InboxCaCertificate"}}}


def test_every_alarm_notifies_the_topic_which_mails_the_alarm_email(backend: dict) -> None:
    alarms = {k: r for k, r in backend["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert set(alarms) == {"DeadLetterAlarm", "FunctionErrorAlarm", "FunctionThrottleAlarm", "DrainStalledAlarm"}
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == {"Fn::If": [
            "NotifyAlarms", [{"Ref": "AlarmTopic"}, {"Ref": "AlarmTopicArn"}], [{"Ref": "AlarmTopic"}]]}
    stalled = alarms["DrainStalledAlarm"]["Properties"]
    assert (stalled["MetricName"], stalled["Threshold"], backend["Parameters"]["DrainStalledSeconds"]["Default"]) \
        == ("ApproximateAgeOfOldestMessage", {"Ref": "DrainStalledSeconds"}, 21600)
    subscription = backend["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email",
                                          "Endpoint": {"Ref": "AlarmEmail"}}


def test_moto_creates_the_inbox_user_with_only_the_policy() -> None:
    # GIVEN the backend deployed into moto with InboxAccess=iam-user
    moto_shims.install()
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        moto_shims.upload_code(s3, "fn.zip")
        cfn = boto3.client("cloudformation", region_name=REGION)
        params = {"Recipients": "age1one", "OriginSecret": "s" * 43, "CodeBucket": "code", "CodeKey": "fn.zip",
                  "InboxAccess": "iam-user"}
        cfn.create_stack(StackName="hotline", TemplateBody=TEMPLATE.read_text(), Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        outputs = {o["OutputKey"]: o["OutputValue"]
                   for o in cfn.describe_stacks(StackName="hotline")["Stacks"][0]["Outputs"]}
        iam = boto3.client("iam")
        user = outputs["InboxUserName"]
        # THEN the user exists with no key and no inline policy (keys are made and rotated by hand),
        assert iam.get_user(UserName=user)["User"]["UserName"] == user
        assert iam.list_access_keys(UserName=user)["AccessKeyMetadata"] == []
        assert iam.list_user_policies(UserName=user)["PolicyNames"] == []
        # no Roles Anywhere role was made, the alarm topic was,
        assert "InboxRoleArn" not in outputs and outputs["AlarmTopic"].startswith("arn:aws:sns:")
        # and the stack's one managed policy allows only the drain and redrive actions
        (policy,) = iam.list_policies(Scope="Local")["Policies"]
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        document = version["PolicyVersion"]["Document"]
        actions = {a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert actions == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                           "sqs:GetQueueAttributes", "sqs:SendMessage", "sqs:GetQueueUrl",
                           "sqs:StartMessageMoveTask", "sqs:ListMessageMoveTasks"}
