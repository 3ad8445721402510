"""Amazon Macie rules: sensitive data discovery runs in every region that holds S3 buckets."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import same_region
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed


@rule(
    id="aws.macie2.enabled_where_buckets_are",
    title="Amazon Macie discovers sensitive data in regions that hold S3 buckets",
    severity="low",
    category="encryption",
    resource_type="aws.macie2.region_settings",
    rationale="Data cannot be protected to its sensitivity until it is known what the buckets hold; Macie "
    "inventories the buckets and finds personal data, credentials and other sensitive content in them.",
    remediation="aws macie2 enable-macie in each region with buckets, then turn on automated sensitive data "
    "discovery (aws macie2 update-automated-discovery-configuration --status ENABLED) or run discovery jobs.",
)
def enabled_where_buckets_are(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    buckets = sorted(b.name for b in same_region(ctx, "aws.s3.bucket", resource.region))
    if not buckets:
        return None
    status = observed(resource.config, "Session.status")
    return check(
        status.value == "ENABLED",
        "Macie is enabled in the region",
        f"Macie is not enabled in a region with {len(buckets)} bucket(s)",
        status,
        ("buckets in the region", buckets[:20]),
    )
