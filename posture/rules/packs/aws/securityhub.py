"""Security Hub rules: Security Hub is enabled in each region."""

from __future__ import annotations

from posture.rules.registry import field_rule

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
    rationale="Security Hub aggregates findings and runs the AWS security standards continuously.",
    remediation="aws securityhub enable-security-hub --enable-default-standards (in every region)",
)
