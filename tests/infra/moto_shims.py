"""Test-only stand-ins for the CloudFormation resource types moto 5.2.5 cannot create.

moto's CloudFormation refuses a template whose outputs read an attribute of a type it does
not model (`AWS::Lambda::Url` in backend.yaml; CloudFront, WAF and the policies in edge.yaml),
so without these the real templates could not be deployed into moto at all. Each stand-in
records its properties and answers `Ref`/`Fn::GetAtt`; the Function URL and the distribution
are created for real in moto's Lambda and CloudFront backends, so `get_function_url_config`
and `create_invalidation` work. What these types *do* on AWS is pinned by the template tests
(tests/infra/test_templates.py), not here.
"""
from __future__ import annotations

import hashlib
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.cloudformation import parsing
from moto.cloudfront.models import cloudfront_backends
from moto.core.common_models import CloudFormationModel

__all__ = ["install", "SHIMMED_TYPES"]


class _Shim:
    """Common behaviour: remember properties, invent stable ids, answer any attribute."""

    type_name = ""

    def __init__(self, logical_id: str, props: dict[str, Any], account_id: str, region: str):
        self.logical_id = logical_id
        self.props = props
        self.account_id = account_id
        self.region = region
        digest = hashlib.sha256(f"{region}/{logical_id}".encode()).hexdigest()
        self.ident = digest[:14].upper()
        self.arn = f"arn:aws:{self.type_name.split('::')[1].lower()}:{region}:{account_id}:{logical_id}/{self.ident}"

    @property
    def physical_resource_id(self) -> str:
        return self.ident

    def get_cfn_attribute(self, attr: str) -> str:
        return self.arn if attr.endswith(("Arn", "ARN")) else self.ident

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str, **kwargs: Any) -> _Shim:
        return cls(resource_name, cloudformation_json.get("Properties", {}), account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: _Shim, new_resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> _Shim:
        original_resource.props = cloudformation_json.get("Properties", {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> None:
        return None

    def is_created(self) -> bool:
        return True


class _FunctionUrl(_Shim):
    """AWS::Lambda::Url backed by moto's own function URL config."""

    def __init__(self, logical_id: str, props: dict[str, Any], account_id: str, region: str):
        super().__init__(logical_id, props, account_id, region)
        backend = lambda_backends[account_id][region]
        config = {"AuthType": props["AuthType"], "InvokeMode": props.get("InvokeMode")}
        self.url = backend.create_function_url_config(props["TargetFunctionArn"], config).url + "/"

    def get_cfn_attribute(self, attr: str) -> str:
        return self.url if attr == "FunctionUrl" else super().get_cfn_attribute(attr)


class _Distribution(_Shim):
    """AWS::CloudFront::Distribution created (minimally) in moto's CloudFront backend."""

    def __init__(self, logical_id: str, props: dict[str, Any], account_id: str, region: str):
        super().__init__(logical_id, props, account_id, region)
        config = props["DistributionConfig"]
        origins = [{"Id": o["Id"], "DomainName": o["DomainName"]} for o in config["Origins"]]
        dist, _, _ = cloudfront_backends[account_id]["global"].create_distribution(
            {"CallerReference": self.ident, "Comment": config.get("Comment", ""),
             "Enabled": True, "Origins": {"Quantity": len(origins), "Items": origins},
             "DefaultCacheBehavior": {"TargetOriginId": config["DefaultCacheBehavior"]["TargetOriginId"],
                                      "ViewerProtocolPolicy": "redirect-to-https"}},
            tags=[])
        self.dist = dist

    @property
    def physical_resource_id(self) -> str:
        return self.dist.distribution_id

    def get_cfn_attribute(self, attr: str) -> str:
        return self.dist.domain_name if attr == "DomainName" else self.dist.distribution_id


_SPECIAL = {"AWS::Lambda::Url": _FunctionUrl, "AWS::CloudFront::Distribution": _Distribution}
SHIMMED_TYPES = (
    "AWS::Lambda::Url", "AWS::SQS::QueuePolicy", "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy",
    "AWS::CloudFront::Distribution", "AWS::CloudFront::OriginAccessControl",
    "AWS::CloudFront::Function", "AWS::CloudFront::ResponseHeadersPolicy", "AWS::WAFv2::WebACL",
)


def install() -> None:
    """Register the stand-ins with moto's CloudFormation (idempotent)."""
    known = parsing.get_model_map()
    for type_name in SHIMMED_TYPES:
        if type_name in known:
            continue
        base = _SPECIAL.get(type_name, _Shim)
        name = "Shim" + type_name.replace("::", "")
        type(name, (base, CloudFormationModel), {
            "type_name": type_name,
            "cloudformation_type": staticmethod(lambda t=type_name: t),
        })
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def upload_code(s3: Any, key: str, bucket: str = "code") -> None:
    """Create `bucket` in moto's S3 and put a minimal function bundle (a zip holding one
    handler) at `key`, for the backend stack's CodeBucket/CodeKey parameters."""
    import io
    import zipfile

    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    s3.put_object(Bucket=bucket, Key=key, Body=bundle.getvalue())
