"""Compliance snapshots: per scan x framework x control, written at the end of a scan.

Overview cards, compliance pages and trends read these rows, never raw findings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from posture.findings.models import ComplianceScore, ComplianceSnapshot, ControlStatus, Finding
from posture.findings.scoring import per_control_sets
from posture.rules.frameworks import Catalog, Control, Framework, catalog
from posture.rules.verdicts import Status
from posture.scans.models import Scan, ScanState


def control_status(control: Control, counts: Counter) -> str:
    """One account's status for a control, from its rules' verdicts (CIS's manual/automated label plays no
    part: a manual control a rule evaluates is evaluated). ``manual`` means no verdict decided it and it
    needs attestation; ``not_evaluated`` that its rules found nothing to look at."""
    if not control.in_scope:
        return ControlStatus.OUT_OF_SCOPE
    if counts[Status.FAIL]:
        return ControlStatus.FAIL
    if counts[Status.PASS]:
        return ControlStatus.PASS
    if counts[Status.ERROR]:
        return ControlStatus.ERROR
    if not control.rules or counts[Status.MANUAL]:
        return ControlStatus.MANUAL
    return ControlStatus.NOT_EVALUATED


MANAGED_PLATFORMS = {"eks": "aws", "aks": "azure", "gke": "gcp"}


def frameworks_for(account: Any, frameworks: Catalog) -> list[Framework]:
    """The account's provider's frameworks and those for any provider (NIST SP 800-190); a cluster labelled
    ``platform=eks|aks|gke`` also gets that cloud's managed-Kubernetes benchmark (its in-cluster controls are
    evidenced by the cluster scan)."""
    platform = (account.labels or {}).get("platform", "")
    chosen = []
    for fw in frameworks:
        if fw.applies_to(account.provider) or (
            account.provider == "kubernetes" and platform in MANAGED_PLATFORMS and fw.id.startswith(f"cis-{platform}-")
        ):
            chosen.append(fw)
    return chosen


@dataclass
class Verdicts:
    """One scan's unmuted verdicts by rule: counts per status, and the resources that passed or failed."""

    counts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failing: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    passing: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def of(self, control: Control) -> tuple[Counter, set[int], set[int]]:
        """The control's verdict counts, and its failing and passing (and not failing) resources."""
        counts: Counter = Counter()
        failing: set[int] = set()
        passing: set[int] = set()
        for rule_id in control.rules:
            counts.update(self.counts.get(rule_id, {}))
            failing |= self.failing.get(rule_id, set())
            passing |= self.passing.get(rule_id, set())
        return counts, failing, passing - failing


def read_verdicts(account: Any, since: datetime) -> Verdicts:
    """The unmuted findings this scan saw (``last_seen >= since``), in one query."""
    out = Verdicts()
    rows = Finding.objects.filter(account=account, muted=False, last_seen__gte=since).values_list(
        "rule_id", "resource_id", "status"
    )
    for rule_id, resource_id, status in rows.iterator(chunk_size=5000):
        out.counts[rule_id][status] += 1
        if status == Status.FAIL:
            out.failing[rule_id].add(resource_id)
        elif status == Status.PASS:
            out.passing[rule_id].add(resource_id)
    return out


def take_snapshots(scan: Any, since: datetime, now: datetime, frameworks: Catalog | None = None) -> int:
    """Write one row per control of every framework that applies to the account, and one score row per
    framework (the per-account input of :mod:`posture.findings.scoring`).

    A control's ``passed`` and ``failed`` are distinct resources; the score row's resources are distinct
    over the whole framework.
    """
    frameworks = frameworks or catalog()
    account = scan.account
    verdicts = read_verdicts(account, since)
    snapshots, scores = [], []
    for fw in frameworks_for(account, frameworks):
        statuses: dict[str, str] = {}
        failing_all: set[int] = set()
        evaluated_all: set[int] = set()
        for control in fw.controls:
            counts, failing, passing = verdicts.of(control)
            statuses[control.id] = control_status(control, counts)
            if control.in_scope:
                failing_all |= failing
                evaluated_all |= failing | passing
            snapshots.append(
                ComplianceSnapshot(
                    scan=scan,
                    account=account,
                    taken_at=now,
                    framework_id=fw.id,
                    control_id=control.id,
                    automated=not control.manual,
                    status=statuses[control.id],
                    passed=len(passing),
                    failed=len(failing),
                    errored=counts[Status.ERROR],
                    manual=counts[Status.MANUAL],
                )
            )
        passed, failed = per_control_sets(statuses)
        scores.append(
            ComplianceScore(
                scan=scan,
                account=account,
                taken_at=now,
                framework_id=fw.id,
                controls_passed=len(passed),
                controls_failed=len(failed),
                passed_controls=passed,
                failed_controls=failed,
                resources_passed=len(evaluated_all) - len(failing_all),
                resources_failed=len(failing_all),
            )
        )
    ComplianceSnapshot.objects.filter(scan=scan).delete()
    ComplianceScore.objects.filter(scan=scan).delete()
    ComplianceSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    ComplianceScore.objects.bulk_create(scores)
    return len(snapshots)


def rescore_latest(account_ids: set[int]) -> int:
    """Take the snapshots of each account's newest finished scan again, at that scan's own moment: a mute or
    an unmute made since changes what its findings count for (the trend keeps the scan's date)."""
    taken = 0
    for account_id in sorted(account_ids):
        scan = (
            Scan.objects.filter(account_id=account_id, state__in=(ScanState.SUCCEEDED, ScanState.PARTIAL))
            .select_related("account")
            .order_by("-id")
            .first()
        )
        when = ComplianceScore.objects.filter(scan=scan).values_list("taken_at", flat=True).first() if scan else None
        if when is not None:
            taken += take_snapshots(scan, since=when, now=when)
    return taken
