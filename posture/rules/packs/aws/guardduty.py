"""GuardDuty rules: EKS protection is on where clusters run."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check


def eks_protection_on(detector: dict[str, Any]) -> bool:
    if detector.get("Status") != "ENABLED":
        return False
    for feature in detector.get("Features") or []:
        names = ("EKS_AUDIT_LOGS", "EKS_RUNTIME_MONITORING", "RUNTIME_MONITORING")
        if feature.get("Name") in names and feature.get("Status") == "ENABLED":
            return True
    audit = ((detector.get("DataSources") or {}).get("Kubernetes") or {}).get("AuditLogs") or {}
    return audit.get("Status") == "ENABLED"


@rule(
    id="aws.guardduty.eks_protection_enabled",
    title="GuardDuty EKS protection is on where EKS clusters run",
    severity="medium",
    category="logging",
    resource_type="aws.guardduty.region_settings",
    rationale="GuardDuty's EKS audit log and runtime monitoring detect credential misuse and malicious "
    "workloads in clusters.",
    remediation='aws guardduty update-detector --detector-id ID --features \'[{"Name":"EKS_AUDIT_LOGS",'
    '"Status":"ENABLED"}]\' (and RUNTIME_MONITORING with EKS add-on management)',
)
def guardduty_eks(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    clusters = [c for c in ctx.resources("aws.eks.cluster") if c.region == resource.region]
    if not clusters:
        return None
    detectors = resource.config.get("Detectors") or []
    return check(
        any(eks_protection_on(d) for d in detectors),
        "a GuardDuty detector has EKS protection on",
        f"GuardDuty EKS protection is off in a region running {len(clusters)} EKS cluster(s)",
        Evidence(
            "Detectors",
            [
                {
                    "DetectorId": d.get("DetectorId"),
                    "Status": d.get("Status"),
                    "Features": d.get("Features"),
                    "DataSources.Kubernetes": (d.get("DataSources") or {}).get("Kubernetes"),
                }
                for d in detectors
            ],
        ),
    )
