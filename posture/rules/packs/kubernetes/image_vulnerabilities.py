"""Running images and their vulnerability scans: fixable critical/high vulnerabilities, stale or missing scans,
old images.

The rules read ``_imageScans`` on a workload record: digest -> the compact scan summary the scan pipeline
attached before evaluation (``posture.scans.image_scans``; its shape is documented in
``posture.images.running``), or None where the running digest has no stored scan result. A workload without
``_imageScans`` (no running pod seen, or a manifest) is not evaluated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.evaluate import RuleContext
from posture.rules.packs.kubernetes.podspec import WORKLOAD
from posture.rules.packs.kubernetes.settings import rule_settings
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, failed, passed

KEY = "_imageScans"


def image_scans(resource: ResourceRecord) -> dict[str, dict[str, Any] | None] | None:
    scans = resource.config.get(KEY)
    return scans if isinstance(scans, dict) and scans else None


def complete(scans: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d: s for d, s in scans.items() if isinstance(s, dict) and s.get("status") == "complete"}


def age_days(raw: Any) -> float | None:
    """Days since an ISO 8601 time; None when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds() / 86400


FIX_FIELDS = ("id", "severity", "package", "installed_version", "fixed_version")


def fix_evidence(v: dict[str, Any]) -> dict[str, str]:
    """One fixable vulnerability as evidence: its id, severity, package, installed and fixed versions (the
    exports read these back as OCSF and SARIF vulnerability fields)."""
    return {k: str(v.get(k) or "") for k in FIX_FIELDS}


@rule(
    id="kubernetes.image_vulnerabilities.no_fixable_critical_or_high",
    title="Running images carry no critical or high vulnerability that has a fix",
    severity="high",
    category="images",
    resource_type=WORKLOAD,
    rationale="A critical or high vulnerability with a fixed version published is the cheapest risk to remove "
    "and the first an attacker tries: the fix exists, only the image was not rebuilt.",
    remediation="Rebuild the image on the fixed package versions listed (update the base image, bump the "
    "dependency), push it, and roll the workload out on the new digest.",
)
def no_fixable_critical_or_high(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    scans = image_scans(resource)
    done = complete(scans) if scans else {}
    if not done:
        return None  # nothing scanned: kubernetes.image_vulnerabilities.scan_current says so
    evidence = [
        Evidence(f"{KEY}.{digest}.fixable.{i}", fix_evidence(v))
        for digest, scan in done.items()
        for i, v in enumerate(scan.get("fixable") or [])
    ]
    total = sum(int(s.get("fixable_total") or 0) for s in done.values())
    if evidence:
        return failed(f"{total} fixable critical or high vulnerabilit{'y' if total == 1 else 'ies'}", *evidence)
    counts = [Evidence(f"{KEY}.{d}.counts", s.get("counts")) for d, s in done.items()]
    return passed(f"{len(done)} scanned image(s) carry no fixable critical or high vulnerability", *counts)


@rule(
    id="kubernetes.image_vulnerabilities.scan_current",
    title="Every running image has a recent vulnerability scan",
    severity="medium",
    category="images",
    resource_type=WORKLOAD,
    rationale="An image nobody scanned, or scanned long ago, may carry any vulnerability published since: new "
    "CVEs appear daily against packages that did not change.",
    remediation="Enable scanning in the registry (ECR enhanced scanning or Inspector, Defender for Containers, "
    "Artifact Analysis) or scan the image in CI (trivy image, grype) and import the report "
    "(manage.py images import, POST /api/v1/images/scans/); limit: POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS.",
)
def scan_current(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    scans = image_scans(resource)
    if scans is None:
        return None
    limit = rule_settings().image_scan_max_age_days
    evidence = []
    for digest, scan in scans.items():
        if not isinstance(scan, dict):
            evidence.append(Evidence(f"{KEY}.{digest}", None))
        elif scan.get("status") != "complete":
            evidence.append(Evidence(f"{KEY}.{digest}.status", scan.get("status")))
        elif (days := age_days(scan.get("scanned_at"))) is None or days > limit:
            evidence.append(Evidence(f"{KEY}.{digest}.scanned_at", scan.get("scanned_at")))
    ok = [Evidence(f"{KEY}.{d}.scanned_at", s.get("scanned_at")) for d, s in scans.items() if isinstance(s, dict)]
    return check(
        not evidence,
        f"{len(scans)} running image(s) scanned within {limit} days",
        f"{len(evidence)} running image(s) not scanned, not completely, or not within {limit} days",
        *(evidence or ok),
    )


@rule(
    id="kubernetes.image_vulnerabilities.image_recent",
    title="Running images were built or pushed recently",
    severity="low",
    category="images",
    resource_type=WORKLOAD,
    rationale="An image built long ago carries the base image and packages of its day: every fix since is "
    "missing, whether or not a scanner has a CVE for it yet.",
    remediation="Rebuild images regularly on a current base image and roll them out; limit: "
    "POSTURE_K8S_IMAGE_MAX_AGE_DAYS.",
)
def image_recent(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    scans = image_scans(resource) or {}
    known = {d: s["pushed_at"] for d, s in scans.items() if isinstance(s, dict) and s.get("pushed_at")}
    if not known:
        return None  # no scanner said when these images were built or pushed
    limit = rule_settings().image_max_age_days
    old = [d for d, at in known.items() if (days := age_days(at)) is None or days > limit]
    return check(
        not old,
        f"{len(known)} image(s) built or pushed within {limit} days",
        f"{len(old)} image(s) built or pushed more than {limit} days ago",
        *[Evidence(f"{KEY}.{d}.pushed_at", known[d]) for d in (old or known)],
    )
