"""Essential Contacts rules: someone receives Google's legal, security, suspension and technical notices."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, unreadable

PROJECT = "gcp.essentialcontacts.project"
REQUIRED = ("LEGAL", "SECURITY", "SUSPENSION", "TECHNICAL", "TECHNICAL_INCIDENTS")
# a category also reaches the contacts of these (ALL: every category; TECHNICAL incidents go to TECHNICAL
# contacts where no one subscribes to TECHNICAL_INCIDENTS itself)
COVERED_BY = {"TECHNICAL_INCIDENTS": ("TECHNICAL", "ALL")}


def covered(categories: set[str]) -> list[str]:
    return [c for c in REQUIRED if c in categories or any(p in categories for p in COVERED_BY.get(c, ("ALL",)))]


@rule(
    id="gcp.essentialcontacts.required_categories",
    title="Essential contacts receive legal, security, suspension and technical notifications",
    severity="medium",
    category="logging",
    resource_type=PROJECT,
    rationale="Google sends notices of security incidents, imminent suspension and legal matters to essential "
    "contacts only; without them the notices reach whoever happens to hold a role, or no one.",
    remediation="Add essential contacts (on the organization, a folder or the project) subscribed to Legal, "
    "Security, Suspension and Technical notifications, or to All.",
)
def required_categories(resource: ResourceRecord, ctx) -> Verdict:
    contacts = [
        c
        for c in resource.config.get("contacts") or []
        if isinstance(c, dict) and c.get("validationState") != "INVALID"
    ]
    categories = {str(cat) for c in contacts for cat in c.get("notificationCategorySubscriptions") or []}
    missing = [c for c in REQUIRED if c not in covered(categories)]
    return unreadable(resource, "contacts", "the essential contacts") or check(
        not missing,
        "every required notification category has a valid contact",
        f"no valid essential contact for {', '.join(missing)}",
        ("contacts[valid].notificationCategorySubscriptions", sorted(categories)),
        ("missing", missing),
    )
