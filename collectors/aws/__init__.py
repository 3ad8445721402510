"""Amazon Web Services: boto3 sessions, regions, identity, and the service collectors.

Record types (``aws.<service>.<kind>``) and their uids:

- global: ``organizations.account_settings`` (``arn:aws:organizations::ACCOUNT:account-settings``),
  ``account.contacts`` (``arn:aws:account::ACCOUNT:account``: the security contact),
  ``iam.account`` (``arn:aws:iam::ACCOUNT:account-settings``: password policy, account summary,
  the credential report's root row, root virtual MFA, AWSSupportAccess / AWSCloudShellFullAccess
  attachments), ``iam.user`` / ``iam.group`` / ``iam.role`` / ``iam.policy`` / ``iam.server_certificate``
  (ARNs), ``s3.account`` (``arn:aws:s3::ACCOUNT:account-settings``), ``s3.bucket`` (``arn:aws:s3:::NAME``,
  region = the bucket's own);
- per region: ``ec2.region_settings`` (``arn:aws:ec2:REGION:ACCOUNT:account-settings``), ``ec2.vpc``
  (with its flow logs), ``ec2.security_group``, ``ec2.network_acl``, ``ec2.instance``,
  ``cloudtrail.trail`` (home region only), ``config.region_settings``, ``kms.key`` (customer keys),
  ``logs.metric_filter``, ``cloudwatch.alarm``, ``sns.topic``, ``securityhub.hub``,
  ``guardduty.region_settings``, ``accessanalyzer.region_settings``, ``macie2.region_settings``, ``rds.db_instance``,
  ``efs.file_system``, ``vpc.route_table``, ``vpc.peering_connection``, ``vpc.endpoint``, ``eks.cluster``,
  ``eks.nodegroup``, ``ecr.registry``, ``ecr.repository``, ``elbv2.load_balancer`` (with its attributes),
  ``apigateway.stage`` (REST API stages), ``apigateway.v2_stage`` (HTTP and WebSocket API stages); global:
  ``cloudfront.distribution``.

A failed main listing fails its (service, region) unit; a failed per-resource call is kept under
``config["_errors"]`` and the resource is still recorded.
"""

from collectors.aws.provider import AwsProvider
from collectors.registry import REGISTRY

PROVIDER = REGISTRY.add_provider(AwsProvider())

# the service collectors register themselves on import
from collectors.aws import (  # noqa: E402
    account,
    cloudtrail,
    config_service,
    containers,
    detection,
    ec2,
    iam,
    kms,
    macie,
    monitoring,
    organizations,
    s3,
    storage,
    vpc,
    web_front_ends,
)

__all__ = [
    "PROVIDER",
    "account",
    "cloudtrail",
    "config_service",
    "containers",
    "detection",
    "ec2",
    "iam",
    "kms",
    "macie",
    "monitoring",
    "organizations",
    "s3",
    "storage",
    "vpc",
    "web_front_ends",
]
