"""CloudTrail rules: a multi-region trail, log file validation, encrypted logs, an access-logged trail bucket."""

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
    rationale="Without a trail covering every region, API activity in an unused region goes unseen.",
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
    rationale="Digest files prove that delivered log files were not changed or deleted.",
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
    rationale="SSE-KMS adds a key policy as a second gate on reading the logs.",
    remediation="aws cloudtrail update-trail --name NAME --kms-key-id KEY",
)


@rule(
    id="aws.cloudtrail.bucket_access_logging_enabled",
    title="Server access logging is enabled on the CloudTrail S3 bucket",
    severity="low",
    category="logging",
    resource_type="aws.cloudtrail.trail",
    rationale="Access logs on the log bucket show who read or tampered with the audit trail.",
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
