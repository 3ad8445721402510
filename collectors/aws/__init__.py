"""Amazon Web Services: boto3 sessions, regions, identity, and the service collectors.

Record types (``aws.<service>.<kind>``) and their uids:

- global: ``organizations.account_settings`` (``arn:aws:organizations::ACCOUNT:account-settings``),
  ``account.contacts`` (``arn:aws:account::ACCOUNT:account``: the security contact),
  ``iam.account`` (``arn:aws:iam::ACCOUNT:account-settings``: password policy, account summary,
  the credential report's root row, root virtual MFA, AWSSupportAccess / AWSCloudShellFullAccess
  attachments), ``iam.user`` / ``iam.group`` / ``iam.role`` / ``iam.policy`` / ``iam.server_certificate``
  / ``iam.aws_managed_policy`` (attached AWS-managed policies) (ARNs), ``s3.account``
  (``arn:aws:s3::ACCOUNT:account-settings``), ``s3.bucket`` (``arn:aws:s3:::NAME``, region = the bucket's own);
- per region: ``ec2.region_settings`` (``arn:aws:ec2:REGION:ACCOUNT:account-settings``), ``ec2.vpc``
  (with its flow logs), ``ec2.security_group``, ``ec2.network_acl``, ``ec2.instance``,
  ``cloudtrail.trail`` (home region only), ``config.region_settings``, ``kms.key`` (customer keys),
  ``logs.metric_filter``, ``cloudwatch.alarm``, ``sns.topic``, ``securityhub.hub``,
  ``guardduty.region_settings``, ``accessanalyzer.region_settings``, ``macie2.region_settings``, ``rds.db_instance``,
  ``efs.file_system``, ``vpc.route_table``, ``vpc.peering_connection``, ``vpc.endpoint``, ``eks.cluster``,
  ``eks.nodegroup``, ``eks.pod_identity_associations``, ``ecr.registry``, ``ecr.repository``,
  ``ecr_scans.image_scan`` (``REGISTRY_HOST/REPOSITORY@DIGEST``: ECR basic or Amazon Inspector findings per image),
  ``elbv2.load_balancer`` (with its attributes), ``apigateway.stage`` (REST API stages), ``apigateway.v2_stage``
  (HTTP and WebSocket API stages); global: ``cloudfront.distribution``.

A failed main listing fails its (service, region) unit; a failed per-resource call is kept under
``config["_errors"]`` and the resource is still recorded.
"""

from collectors.aws.provider import AwsProvider
from collectors.registry import REGISTRY

# the service collectors (and boto3) are imported on the first REGISTRY.collectors("aws")
SERVICE_MODULES = (
    "account",
    "cloudtrail",
    "config_service",
    "containers",
    "detection",
    "ec2",
    "eks_identity",
    "iam",
    "iam_managed",
    "image_scans",
    "kms",
    "macie",
    "monitoring",
    "organizations",
    "s3",
    "storage",
    "vpc",
    "web_front_ends",
)
PROVIDER = REGISTRY.add_provider(AwsProvider(), [f"{__name__}.{m}" for m in SERVICE_MODULES])

__all__ = ["PROVIDER", "SERVICE_MODULES"]
