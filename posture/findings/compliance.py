"""Compliance summaries and trends, read from snapshots and scores (never raw findings)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate

from posture.findings.memo import Memo
from posture.findings.models import ComplianceScore, ComplianceSnapshot, ControlStatus
from posture.findings.snapshots import percent, score
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import Framework
from posture.scans.models import Scan, ScanState

DONE = (ScanState.SUCCEEDED, ScanState.PARTIAL)
WORST_FIRST = [
    ControlStatus.FAIL,
    ControlStatus.ERROR,
    ControlStatus.PASS,
    ControlStatus.MANUAL,
    ControlStatus.NOT_EVALUATED,
    ControlStatus.OUT_OF_SCOPE,
]


def latest_scan_ids(accounts: QuerySet[CloudAccount]) -> list[int]:
    """Each account's newest finished scan: one step down ``scan_done_by_account`` per account, however
    many scans the accounts have had."""
    newest = Scan.objects.filter(account=OuterRef("pk"), state__in=DONE).order_by("-id").values("id")[:1]
    rows = accounts.order_by().annotate(latest=Subquery(newest)).values_list("latest", flat=True)
    return [scan_id for scan_id in rows if scan_id is not None]


# Answers by framework and the latest scans in scope: a finished scan changes the key.
MEMO = Memo()


def summary(fw: Framework, accounts: QuerySet[CloudAccount]) -> dict[str, Any]:
    """Framework -> sections -> controls for the accounts' latest scans, with the score.

    The same scans give the same answer: it is computed once per process (see ``MEMO``). Callers get
    their own top-level dict; what it holds is shared and must not be changed.
    """
    scan_ids = tuple(sorted(latest_scan_ids(accounts)))
    return dict(MEMO.get(("summary", fw.id, fw.version, scan_ids), lambda: _summary(fw, scan_ids)))


def _summary(fw: Framework, scan_ids: tuple[int, ...]) -> dict[str, Any]:
    merged: dict[str, Counter] = defaultdict(Counter)
    statuses: dict[str, set[str]] = defaultdict(set)
    rows = ComplianceSnapshot.objects.filter(scan_id__in=scan_ids, framework_id=fw.id).values_list(
        "control_id", "status", "passed", "failed", "errored", "manual"
    )
    for control_id, status, passed, failed, errored, manual in rows:
        merged[control_id].update(passed=passed, failed=failed, errored=errored, manual=manual)
        statuses[control_id].add(status)

    class Row:
        def __init__(self, control, status, counts) -> None:
            self.automated, self.status = not control.manual, status
            self.passed, self.failed = counts["passed"], counts["failed"]

    controls_out, rows_for_score = {}, []
    for control in fw.controls:
        seen = statuses.get(control.id)
        status = next((s for s in WORST_FIRST if seen and s in seen), None)
        if status is None:
            status = (
                ControlStatus.OUT_OF_SCOPE
                if not control.in_scope
                else (ControlStatus.MANUAL if control.manual else ControlStatus.NOT_EVALUATED)
            )
        counts = merged.get(control.id, Counter())
        rows_for_score.append(Row(control, status, counts))
        controls_out[control.id] = {
            "id": control.id,
            "title": control.title,
            "assessment": control.assessment,
            "status": str(status),
            "rules": list(control.rules),
            "passed": counts["passed"],
            "failed": counts["failed"],
            "errored": counts["errored"],
            "manual": counts["manual"],
        }
    sections = []
    for section in fw.sections:
        sections.append(
            {
                "id": section.id,
                "title": section.title,
                "parent": section.parent_id,
                "controls": [controls_out[c.id] for c in fw.controls if c.section_id == section.id],
            }
        )
    return {
        "framework": {"id": fw.id, "title": fw.title, "version": fw.version, "provider": fw.provider},
        "accounts": len(scan_ids),
        **score(rows_for_score),
        "sections": sections,
    }


def _bucket(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


def trend(
    framework_id: str, accounts: QuerySet[CloudAccount], *, start: datetime, end: datetime, weekly: bool = False
) -> list[dict[str, Any]]:
    """The score per day (or week), each account carried at its latest value until rescanned.

    Computed once per process for the same latest scans, days and bucket (see ``MEMO``)."""
    key = (
        "trend",
        framework_id,
        tuple(sorted(latest_scan_ids(accounts))),
        start.date(),
        end.date(),
        weekly,
    )
    return MEMO.get(key, lambda: _trend(framework_id, accounts, start=start, end=end, weekly=weekly))


def _trend(
    framework_id: str, accounts: QuerySet[CloudAccount], *, start: datetime, end: datetime, weekly: bool
) -> list[dict[str, Any]]:
    base = ComplianceScore.objects.filter(framework_id=framework_id, account__in=accounts)
    values = ("account_id", "controls_passed", "controls_failed", "resources_passed", "resources_failed")
    latest: dict[int, tuple] = {}
    before = base.filter(taken_at__lt=start).values("account_id").annotate(last=Max("taken_at"))
    for row in base.filter(
        taken_at__in=[b["last"] for b in before], account_id__in=[b["account_id"] for b in before]
    ).values_list(*values):
        latest[row[0]] = row
    # Only the day of each score is read (the database truncates it): parsing every timestamp was most of the time.
    in_window = list(
        base.filter(taken_at__gte=start, taken_at__lte=end)
        .order_by("taken_at")
        .annotate(day=TruncDate("taken_at"))
        .values_list("day", *values)
    )
    points: list[dict[str, Any]] = []
    cursor = 0
    bucket = _bucket(start.date(), weekly)
    step = timedelta(weeks=1) if weekly else timedelta(days=1)
    last_bucket = _bucket(end.date(), weekly)
    while bucket <= last_bucket:
        bucket_end = bucket + step
        while cursor < len(in_window) and in_window[cursor][0] < bucket_end:
            latest[in_window[cursor][1]] = in_window[cursor][1:]
            cursor += 1
        passed = sum(r[1] for r in latest.values())
        evaluated = passed + sum(r[2] for r in latest.values())
        res_passed = sum(r[3] for r in latest.values())
        res_total = res_passed + sum(r[4] for r in latest.values())
        points.append(
            {
                "date": bucket.isoformat(),
                "score": percent(passed, evaluated),
                "controls_passed": passed,
                "controls_evaluated": evaluated,
                "resource_pass_rate": percent(res_passed, res_total),
                "accounts": len(latest),
            }
        )
        bucket = bucket_end
    return points
