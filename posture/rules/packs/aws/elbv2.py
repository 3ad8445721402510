"""ELBv2 rules: application load balancers write access logs."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, unreadable

ACCESS_LOGS = "access_logs.s3.enabled"


@rule(
    id="aws.elbv2.access_logging_enabled",
    title="Application load balancers write access logs",
    severity="medium",
    category="logging",
    resource_type="aws.elbv2.load_balancer",
    rationale="Access logs record every request a load balancer served (client, path, status, TLS details): "
    "without them an attack on the application behind it leaves no trace at its front door.",
    remediation="aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes "
    "Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=BUCKET",
)
def access_logging_enabled(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if resource.config.get("Type") != "application":
        return None  # network and gateway load balancers are not web front ends
    problem = unreadable(resource, "Attributes", "the load balancer's attributes")
    if problem:
        return problem
    attributes = resource.config.get("Attributes") or []
    n, value = next(((n, a.get("Value")) for n, a in enumerate(attributes) if a.get("Key") == ACCESS_LOGS), (-1, None))
    return check(
        value == "true",
        "access logs are written to S3",
        "access logs are off",
        Evidence(f"Attributes.{n}.Value" if n >= 0 else f"Attributes[{ACCESS_LOGS}]", value),
    )
