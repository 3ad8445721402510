"""IAM Access Analyzer rules: an external access analyzer is active in each region."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check


@rule(
    id="aws.accessanalyzer.enabled_in_region",
    title="IAM Access Analyzer (external access) is enabled in the region",
    severity="medium",
    category="identity",
    resource_type="aws.accessanalyzer.region_settings",
    rationale="Access Analyzer finds resources shared outside the account or organization.",
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
