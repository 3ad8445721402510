"""The IAM action an AWS API call needs: mostly ``prefix:Operation``, with the exceptions IAM makes.

The prefix is the service's signing name (``elasticfilesystem``, ``access-analyzer``) except where IAM
names it otherwise; a few S3 operations are authorized under an action of another name.
"""

from __future__ import annotations

from typing import Any

PREFIXES = {"monitoring": "cloudwatch"}  # signing name -> IAM prefix, where they differ
# (botocore service, operation) -> IAM action, where the action is not named after the operation
RENAMED = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    # API Gateway's management actions are HTTP verbs on resource paths: every read is apigateway:GET
    ("apigateway", "GetRestApis"): "apigateway:GET",
    ("apigateway", "GetStages"): "apigateway:GET",
    ("apigatewayv2", "GetApis"): "apigateway:GET",
    ("apigatewayv2", "GetStages"): "apigateway:GET",
}
NO_GRANT = {"sts:GetCallerIdentity"}  # every principal may call it; no policy can deny it


def iam_action(service: str, signing_name: str, operation: str) -> str:
    """``("cloudwatch", "monitoring", "DescribeAlarms")`` -> ``cloudwatch:DescribeAlarms``."""
    renamed = RENAMED.get((service, operation))
    if renamed:
        return renamed
    return f"{PREFIXES.get(signing_name, signing_name)}:{operation}"


def action_of(operation_model: Any) -> str:
    """The IAM action of a botocore ``OperationModel`` (as a ``before-call`` event hands it over)."""
    service = operation_model.service_model
    return iam_action(service.service_name, service.signing_name, operation_model.name)


def actions_for_operation(operation: str, declared: list[str]) -> list[str]:
    """The declared actions a failed ``operation`` may be (a ClientError names the operation, not the service)."""
    renamed = {action for (_, op), action in RENAMED.items() if op == operation}
    return [a for a in declared if a in renamed or a.partition(":")[2] == operation]


# AWS managed policies that grant every declared action (and much more read access besides), and what of ours
# they leave out; checked against moto's copy of the managed policies (tests/collectors/test_permissions_aws.py).
MANAGED_POLICIES = ("arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
NOT_IN_MANAGED: tuple[str, ...] = ("macie2:GetMacieSession",)
