"""VPC Service Controls rules: each project sits in an enforced service perimeter that restricts services."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, unreadable

PROJECT = "gcp.accesscontextmanager.project"


@rule(
    id="gcp.accesscontextmanager.project_in_service_perimeter",
    title="The project is inside a VPC Service Controls perimeter that restricts services",
    severity="medium",
    category="exposure",
    resource_type=PROJECT,
    rationale="A service perimeter stops data in the restricted services (Cloud Storage, BigQuery ...) from "
    "being read or copied from outside it, even with stolen credentials.",
    remediation="Add the project to a regular (not bridge) service perimeter of the organization's access "
    "policy, with the services that hold its data restricted, and enforce it (not dry run only).",
)
def project_in_perimeter(resource: ResourceRecord, ctx) -> Verdict:
    perimeters = [p for p in resource.config.get("perimeters") or [] if isinstance(p, dict)]
    enforcing = [
        p.get("name")
        for p in perimeters
        if p.get("perimeterType") == "PERIMETER_TYPE_REGULAR" and p.get("restrictedServices")
    ]
    bad = (
        "the project is in no organization, so in no service perimeter"
        if resource.config.get("organization") == ""
        else "no enforced regular perimeter restricting services holds the project"
    )
    return unreadable(resource, "perimeters", "the service perimeters") or check(
        bool(enforcing),
        f"perimeter {', '.join(str(e) for e in enforcing)} holds the project",
        bad,
        ("perimeters[regular, restricting, enforced]", enforcing),
        ("perimeters", [p.get("name") for p in perimeters]),
    )
