"""Organization Policy rules: the guardrail constraints are in force on every project, set centrally."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, errored, lookup

PROJECT = "gcp.orgpolicy.project"
BOOLEAN_GUARDRAILS = (
    "iam.disableServiceAccountKeyCreation",
    "storage.uniformBucketLevelAccess",
    "storage.publicAccessPrevention",
    "compute.skipDefaultNetworkCreation",
    "compute.requireOsLogin",
)
DOMAIN_RESTRICTION = "iam.allowedPolicyMemberDomains"


def _rules(policy: Any) -> list[dict[str, Any]]:
    return [r for r in lookup(policy, "spec.rules") or [] if isinstance(r, dict)]


def enforced(policy: Any) -> bool:
    """A boolean constraint in force without condition (a conditional rule may leave resources out)."""
    rules = _rules(policy)
    return bool(rules) and all(r.get("enforce") is True and not r.get("condition") for r in rules)


def restricted(policy: Any) -> bool:
    """A list constraint that allows only named values (not everything)."""
    rules = _rules(policy)
    return (
        bool(rules)
        and not any(r.get("allowAll") for r in rules)
        and any(lookup(r, "values.allowedValues") for r in rules)
    )


@rule(
    id="gcp.orgpolicy.guardrails_enforced",
    title="Organization policy guardrails are in force on the project",
    severity="medium",
    category="identity",
    resource_type=PROJECT,
    rationale="Organization policies set once at the top stop every project from drifting into known-bad "
    "settings (key files, public buckets, default networks, sharing with any domain), whoever administers it.",
    remediation="Enforce iam.disableServiceAccountKeyCreation, storage.uniformBucketLevelAccess, "
    "storage.publicAccessPrevention, compute.skipDefaultNetworkCreation and compute.requireOsLogin, and restrict "
    "iam.allowedPolicyMemberDomains to the organization's customer ids, on the organization or folders.",
)
def guardrails_enforced(resource: ResourceRecord, ctx) -> Verdict:
    errors = resource.config.get("_errors") or {}
    if errors:
        return errored(
            "the effective organization policies could not all be read: " + "; ".join(sorted(set(errors.values()))),
            ("_errors", errors),
        )
    policies = resource.config.get("effectivePolicies") or {}
    missing = [c for c in BOOLEAN_GUARDRAILS if not enforced(policies.get(c))]
    if not restricted(policies.get(DOMAIN_RESTRICTION)):
        missing.append(DOMAIN_RESTRICTION)
    return check(
        not missing,
        "every guardrail constraint is in force",
        f"{len(missing)} guardrail constraint(s) are not in force",
        ("effectivePolicies[not in force]", missing),
    )
