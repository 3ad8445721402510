"""CIS AWS 4.x and regional services: CloudTrail, AWS Config, KMS rotation, VPC flow logs, Access Analyzer,
Security Hub, EBS default encryption."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import where
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, manual, observed


def logs_management_events(trail: ResourceRecord) -> bool:
    """Management events, both read and write: the default, unless selectors narrow it."""
    basic = trail.config.get("EventSelectors") or []
    advanced = trail.config.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True
    for selector in basic:
        if selector.get("IncludeManagementEvents", True) and selector.get("ReadWriteType", "All") == "All":
            return True
    for selector in advanced:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        if (fields.get("eventCategory") or {}).get("Equals") == ["Management"] and "readOnly" not in fields:
            return True
    return False


@rule(
    id="aws.cloudtrail.multi_region_trail_logging",
    title="A multi-region CloudTrail trail logs all management events",
    severity="high",
    category="logging",
    resource_type="aws.iam.account",
    rationale="Without a trail covering every region, API activity in an unused region goes unseen (CIS AWS 4.1).",
    remediation="aws cloudtrail create-trail --name NAME --bucket-name BUCKET --is-multi-region-trail; "
    "aws cloudtrail start-logging --name NAME; keep management events at ReadWriteType All.",
)
def multi_region_trail(resource: ResourceRecord, ctx: Any) -> Verdict:
    trails = ctx.resources("aws.cloudtrail.trail")
    for trail in trails:
        if (
            trail.config.get("IsMultiRegionTrail")
            and (trail.config.get("Status") or {}).get("IsLogging")
            and logs_management_events(trail)
        ):
            return check(
                True,
                f"trail {trail.name} logs management events in every region",
                "",
                Evidence(where(trail, "IsMultiRegionTrail"), True),
                Evidence(where(trail, "Status.IsLogging"), True),
            )
    return check(
        False,
        "",
        "no logging, multi-region trail records all management events",
        *(Evidence(where(t, "IsMultiRegionTrail"), t.config.get("IsMultiRegionTrail")) for t in trails),
        Evidence("aws.cloudtrail.trail", [t.name for t in trails]),
    )


field_rule(
    id="aws.cloudtrail.log_file_validation_enabled",
    title="CloudTrail log file validation is enabled",
    severity="medium",
    category="logging",
    resource_type="aws.cloudtrail.trail",
    path="LogFileValidationEnabled",
    expect=True,
    ok="log file validation is enabled",
    bad="log file validation is disabled",
    rationale="Digest files prove that delivered log files were not changed or deleted (CIS AWS 4.2).",
    remediation="aws cloudtrail update-trail --name NAME --enable-log-file-validation",
)


field_rule(
    id="aws.cloudtrail.encrypted_with_kms",
    title="CloudTrail logs are encrypted at rest with a KMS key",
    severity="medium",
    category="encryption",
    resource_type="aws.cloudtrail.trail",
    path="KmsKeyId",
    expect=bool,
    ok="the trail's logs are encrypted with a KMS key",
    bad="the trail's logs are not encrypted with a KMS key",
    rationale="SSE-KMS adds a key policy as a second gate on reading the logs (CIS AWS 4.5).",
    remediation="aws cloudtrail update-trail --name NAME --kms-key-id KEY",
)


@rule(
    id="aws.cloudtrail.bucket_access_logging_enabled",
    title="Server access logging is enabled on the CloudTrail S3 bucket",
    severity="low",
    category="logging",
    resource_type="aws.cloudtrail.trail",
    rationale="Access logs on the log bucket show who read or tampered with the audit trail (CIS AWS 4.4).",
    remediation="aws s3api put-bucket-logging --bucket TRAIL-BUCKET --bucket-logging-status "
    '\'{"LoggingEnabled": {"TargetBucket": "LOG-BUCKET", "TargetPrefix": "cloudtrail/"}}\'',
)
def trail_bucket_logging(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    name = resource.config.get("S3BucketName")
    if not name:
        return None
    bucket = next((b for b in ctx.resources("aws.s3.bucket") if b.name == name), None)
    if bucket is None:
        return manual(
            f"bucket {name} is not in this account's inventory (another account?); check its access logging there",
            observed(resource.config, "S3BucketName"),
        )
    return check(
        bucket.config.get("LoggingEnabled") is not None,
        f"bucket {name} has server access logging",
        f"bucket {name} has no server access logging",
        observed(resource.config, "S3BucketName"),
        Evidence(where(bucket, "LoggingEnabled"), bucket.config.get("LoggingEnabled")),
    )


@rule(
    id="aws.config.recorder_enabled_in_region",
    title="AWS Config records all resource types in the region",
    severity="medium",
    category="logging",
    resource_type="aws.config.region_settings",
    rationale="The configuration history is what tells you how a resource looked before an incident (CIS AWS 4.3).",
    remediation="Create a configuration recorder with recordingGroup allSupported=true and a delivery channel, "
    "then start it, in every region.",
)
def config_recorder(resource: ResourceRecord, ctx: Any) -> Verdict:
    recorders = resource.config.get("ConfigurationRecorders") or []
    for n, recorder in enumerate(recorders):
        status = recorder.get("Status") or {}
        group = recorder.get("recordingGroup") or {}
        if group.get("allSupported") and status.get("recording") and status.get("lastStatus", "SUCCESS") != "FAILURE":
            return check(
                True,
                f"recorder {recorder.get('name')} records all supported resource types",
                "",
                observed(resource.config, f"ConfigurationRecorders.{n}.recordingGroup.allSupported"),
                observed(resource.config, f"ConfigurationRecorders.{n}.Status.recording"),
            )
    if not recorders:
        return check(
            False, "", "the region has no configuration recorder", observed(resource.config, "ConfigurationRecorders")
        )
    return check(
        False,
        "",
        "no recorder in the region records all resource types successfully",
        observed(resource.config, "ConfigurationRecorders.0.recordingGroup.allSupported"),
        observed(resource.config, "ConfigurationRecorders.0.Status.recording"),
        observed(resource.config, "ConfigurationRecorders.0.Status.lastStatus"),
    )


@rule(
    id="aws.kms.customer_key_rotation_enabled",
    title="Rotation is enabled for customer-created symmetric KMS keys",
    severity="medium",
    category="encryption",
    resource_type="aws.kms.key",
    rationale="Rotating key material limits how much data one compromised key version protects (CIS AWS 4.6).",
    remediation="aws kms enable-key-rotation --key-id KEY",
)
def kms_rotation(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    meta = resource.config.get("KeyMetadata") or {}
    if (
        meta.get("KeyManager") != "CUSTOMER"
        or meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        or meta.get("KeyState") != "Enabled"
        or meta.get("Origin") == "EXTERNAL"
    ):
        return None
    return check(
        resource.config.get("KeyRotationEnabled") is True,
        "automatic key rotation is enabled",
        "automatic key rotation is disabled",
        observed(resource.config, "KeyRotationEnabled"),
    )


@rule(
    id="aws.ec2.vpc_flow_logs_enabled",
    title="VPC flow logging is enabled",
    severity="medium",
    category="logging",
    resource_type="aws.ec2.vpc",
    rationale="Flow logs record the traffic in and out of the VPC, needed to detect and investigate "
    "anomalous connections (CIS AWS 4.7).",
    remediation="aws ec2 create-flow-logs --resource-type VPC --resource-ids VPC --traffic-type REJECT "
    "--log-destination-type cloud-watch-logs --log-group-name NAME --deliver-logs-permission-arn ROLE",
)
def vpc_flow_logs(resource: ResourceRecord, ctx: Any) -> Verdict:
    logs = resource.config.get("FlowLogs") or []
    active = [f for f in logs if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
    return check(
        bool(active),
        f"{len(active)} active flow log(s)",
        "the VPC has no active flow log",
        Evidence(
            "FlowLogs", [{"FlowLogId": f.get("FlowLogId"), "FlowLogStatus": f.get("FlowLogStatus")} for f in logs]
        ),
    )


@rule(
    id="aws.accessanalyzer.enabled_in_region",
    title="IAM Access Analyzer (external access) is enabled in the region",
    severity="medium",
    category="identity",
    resource_type="aws.accessanalyzer.region_settings",
    rationale="Access Analyzer finds resources shared outside the account or organization (CIS AWS 2.18).",
    remediation="aws accessanalyzer create-analyzer --analyzer-name NAME --type ACCOUNT (in every region)",
)
def access_analyzer(resource: ResourceRecord, ctx: Any) -> Verdict:
    analyzers = resource.config.get("Analyzers") or []
    active = [a for a in analyzers if a.get("status") == "ACTIVE" and a.get("type") in ("ACCOUNT", "ORGANIZATION")]
    return check(
        bool(active),
        f"external access analyzer {active[0].get('name') if active else ''} is active",
        "no active external access analyzer in the region",
        Evidence("Analyzers", [{k: a.get(k) for k in ("name", "type", "status")} for a in analyzers]),
    )


field_rule(
    id="aws.securityhub.enabled_in_region",
    title="AWS Security Hub is enabled in the region",
    severity="medium",
    category="logging",
    resource_type="aws.securityhub.hub",
    path="Enabled",
    expect=True,
    ok="Security Hub is enabled",
    bad="Security Hub is not enabled",
    rationale="Security Hub aggregates findings and runs the AWS security standards continuously (CIS AWS 5.16).",
    remediation="aws securityhub enable-security-hub --enable-default-standards (in every region)",
)


field_rule(
    id="aws.ec2.ebs_default_encryption_enabled",
    title="EBS encryption by default is enabled in the region",
    severity="medium",
    category="encryption",
    resource_type="aws.ec2.region_settings",
    path="EbsEncryptionByDefault",
    expect=True,
    ok="EBS encryption by default is on",
    bad="EBS encryption by default is off",
    rationale="Default encryption makes every new volume and snapshot encrypted without relying on each "
    "launch (CIS AWS 6.1.1).",
    remediation="aws ec2 enable-ebs-encryption-by-default --region REGION",
)
