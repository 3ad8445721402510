"""Compliance snapshots: per scan x framework x control, written at the end of a scan.

Overview cards, compliance pages and trends read these rows, never raw findings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count

from posture.findings.models import ComplianceScore, ComplianceSnapshot, ControlStatus, Finding
from posture.rules.frameworks import Catalog, Control, Framework, catalog
from posture.rules.verdicts import Status


def control_status(control: Control, counts: Counter) -> str:
    if not control.in_scope:
        return ControlStatus.OUT_OF_SCOPE
    if counts[Status.FAIL]:
        return ControlStatus.FAIL
    if counts[Status.PASS]:
        return ControlStatus.PASS
    if counts[Status.ERROR]:
        return ControlStatus.ERROR
    if control.manual or counts[Status.MANUAL]:
        return ControlStatus.MANUAL
    return ControlStatus.NOT_EVALUATED


MANAGED_PLATFORMS = {"eks": "aws", "aks": "azure", "gke": "gcp"}


def frameworks_for(account: Any, frameworks: Catalog) -> list[Framework]:
    """The account's provider's frameworks; a cluster labelled ``platform=eks|aks|gke`` also gets that
    cloud's managed-Kubernetes benchmark (its in-cluster controls are evidenced by the cluster scan)."""
    platform = (account.labels or {}).get("platform", "")
    chosen = []
    for fw in frameworks:
        if fw.provider == account.provider or (
            account.provider == "kubernetes" and platform in MANAGED_PLATFORMS and fw.id.startswith(f"cis-{platform}-")
        ):
            chosen.append(fw)
    return chosen


def take_snapshots(scan: Any, since: datetime, now: datetime, frameworks: Catalog | None = None) -> int:
    """Write one row per control of every framework of the account's provider.

    Counts come from the unmuted findings this scan saw (``last_seen >= since``),
    in one aggregate query.
    """
    frameworks = frameworks or catalog()
    account = scan.account
    per_rule: dict[str, Counter] = defaultdict(Counter)
    rows = (
        Finding.objects.filter(account=account, muted=False, last_seen__gte=since)
        .values("rule_id", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        per_rule[row["rule_id"]][row["status"]] += row["n"]
    snapshots = []
    scores = []
    for fw in frameworks_for(account, frameworks):
        first = len(snapshots)
        for control in fw.controls:
            counts: Counter = Counter()
            for rule_id in control.rules:
                counts.update(per_rule.get(rule_id, {}))
            snapshots.append(
                ComplianceSnapshot(
                    scan=scan,
                    account=account,
                    taken_at=now,
                    framework_id=fw.id,
                    control_id=control.id,
                    automated=not control.manual,
                    status=control_status(control, counts),
                    passed=counts[Status.PASS],
                    failed=counts[Status.FAIL],
                    errored=counts[Status.ERROR],
                    manual=counts[Status.MANUAL],
                )
            )
        totals = score(snapshots[first:])
        scores.append(
            ComplianceScore(
                scan=scan,
                account=account,
                taken_at=now,
                framework_id=fw.id,
                controls_passed=totals["controls_passed"],
                controls_failed=totals["controls_evaluated"] - totals["controls_passed"],
                resources_passed=totals["resources_passed"],
                resources_failed=totals["resources_failed"],
            )
        )
    ComplianceSnapshot.objects.filter(scan=scan).delete()
    ComplianceScore.objects.filter(scan=scan).delete()
    ComplianceSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    ComplianceScore.objects.bulk_create(scores)
    return len(snapshots)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def score(snapshots: list[Any]) -> dict[str, Any]:
    """Passed automated controls / evaluated automated controls, and the resource pass rate.

    Takes anything with ``automated``, ``status``, ``passed`` and ``failed``.
    """
    evaluated = [s for s in snapshots if s.automated and s.status in (ControlStatus.PASS, ControlStatus.FAIL)]
    passed = sum(1 for s in evaluated if s.status == ControlStatus.PASS)
    resources_passed = sum(s.passed for s in snapshots if s.automated)
    resources_failed = sum(s.failed for s in snapshots if s.automated)
    return {
        "controls_passed": passed,
        "controls_evaluated": len(evaluated),
        "score": percent(passed, len(evaluated)),
        "resources_passed": resources_passed,
        "resources_failed": resources_failed,
        "resource_pass_rate": percent(resources_passed, resources_passed + resources_failed),
    }
