"""CloudFront rules: distributions write access logs."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, failed, observed, passed, unreadable


@rule(
    id="aws.cloudfront.access_logging_enabled",
    title="CloudFront distributions write access logs",
    severity="medium",
    category="logging",
    resource_type="aws.cloudfront.distribution",
    rationale="Access logs record every request the distribution served; without them probing and abuse of the "
    "site behind it leave no trace.",
    remediation="Turn on standard logging: a CloudWatch Logs delivery of ACCESS_LOGS (aws logs "
    "put-delivery-source, put-delivery-destination, create-delivery) or the legacy S3 logging in the "
    "distribution's Logging settings.",
)
def access_logging_enabled(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    legacy = observed(resource.config, "DistributionConfig.Logging.Enabled")
    deliveries = observed(resource.config, "LogDeliveries")
    if legacy.value is True or deliveries.value:
        return passed("access logs are delivered", legacy, deliveries)
    problem = unreadable(resource, "DistributionConfig", "the distribution's configuration") or unreadable(
        resource, "LogDeliveries", "the log deliveries"
    )
    return problem or failed("no access logs are delivered", legacy, deliveries)
