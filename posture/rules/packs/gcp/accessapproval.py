"""Access Approval rules: Google staff need the customer's approval before they access the project's content."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, unreadable

PROJECT = "gcp.accessapproval.project"


@rule(
    id="gcp.accessapproval.enrolled",
    title="Access Approval is enabled for the project",
    severity="low",
    category="identity",
    resource_type=PROJECT,
    rationale="With Access Approval, Google personnel must ask, and be granted, explicit approval before they "
    "access the project's content for support or operations.",
    remediation="Enable the Access Approval API and enroll the services (gcloud access-approval settings update "
    "--project PROJECT --enrolled_services all --notification_emails ADDRESS).",
)
def enrolled(resource: ResourceRecord, ctx) -> Verdict:
    settings = resource.config.get("settings") or {}
    services = [str(s.get("cloudProduct")) for s in settings.get("enrolledServices") or [] if isinstance(s, dict)]
    ancestor = settings.get("enrolledAncestor") is True
    return unreadable(resource, "settings", "the Access Approval settings") or check(
        bool(services) or ancestor,
        "Access Approval covers " + (", ".join(services) if services else "the project through its parent"),
        "no service is enrolled in Access Approval",
        ("settings.enrolledServices[].cloudProduct", services),
        ("settings.enrolledAncestor", settings.get("enrolledAncestor")),
    )
