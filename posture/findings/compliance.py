"""Compliance summaries, trends and roll-ups: read from snapshots, scores and attestations, scored by
:func:`posture.findings.scoring.score_controls` (never raw findings, never a score computed here).

The headline (``summary``), every trend point (``trend``) and every row of the per-account and per-team
tables (``rollup``) are one call of the scoring model over per-account results, so the newest trend point
equals the headline and the tables add up to what the pages show.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from posture.findings.memo import Memo
from posture.findings.models import Attestation, ComplianceScore, ComplianceSnapshot, ControlStatus
from posture.findings.scoring import (
    ATTESTED_FAIL,
    ATTESTED_PASS,
    FAIL,
    PASS,
    STATUS_LABELS,
    AccountResult,
    Attested,
    Score,
    active,
    score_controls,
)
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import Framework, catalog
from posture.scans.models import Scan, ScanState

DONE = (ScanState.SUCCEEDED, ScanState.PARTIAL)
SCORE_FIELDS = (
    "account_id",
    "account__team",
    "passed_controls",
    "failed_controls",
    "resources_failed",
    "resources_passed",
)


def latest_scans(accounts: QuerySet[CloudAccount]) -> tuple[tuple[int, int], ...]:
    """Each account's newest finished scan with the id of its newest score row, sorted: one step down
    ``scan_done_by_account`` per account, however many scans the accounts have had. Scores taken again
    (after a mute) get new ids, so this pair is what a memo key needs."""
    newest = Scan.objects.filter(account=OuterRef("pk"), state__in=DONE).order_by("-id").values("id")[:1]
    score = ComplianceScore.objects.filter(scan_id=OuterRef("latest")).order_by("-id").values("id")[:1]
    rows = accounts.order_by().annotate(latest=Subquery(newest)).annotate(score=Subquery(score))
    return tuple(
        sorted((scan_id, score_id or 0) for scan_id, score_id in rows.values_list("latest", "score") if scan_id)
    )


def latest_scan_ids(accounts: QuerySet[CloudAccount]) -> list[int]:
    return [scan_id for scan_id, _ in latest_scans(accounts)]


# Answers by framework, the latest scans in scope and the attestations in force: any change changes the key.
MEMO = Memo()


def attestations_of(framework_ids: list[str]) -> dict[str, list[Attestation]]:
    """Every attestation ever recorded for the frameworks (a handful each): activity is decided per moment."""
    out: dict[str, list[Attestation]] = {fid: [] for fid in framework_ids}
    for a in Attestation.objects.filter(framework_id__in=framework_ids).order_by("id"):
        out[a.framework_id].append(a)
    return out


def _attestation_key(rows: list[Attestation], at: datetime) -> tuple:
    return tuple(a.id for a in active(rows, at))


def _result(row: tuple) -> AccountResult:
    account_id, team, passed, failed, resources_failed, resources_passed = row
    return AccountResult(
        account_id=account_id,
        team=team or "",
        passed=frozenset(passed or ()),
        failed=frozenset(failed or ()),
        resources_failed=resources_failed,
        resources_evaluated=resources_failed + resources_passed,
    )


def summary(fw: Framework, accounts: QuerySet[CloudAccount], at: datetime | None = None) -> dict[str, Any]:
    """Framework -> sections -> controls for the accounts' latest scans, with the score.

    The same scans and attestations give the same answer: it is computed once per process (see ``MEMO``).
    Callers get their own top-level dict; what it holds is shared and must not be changed.
    """
    return summaries([fw], accounts, at)[0]


def summaries(frameworks: list[Framework], accounts: QuerySet[CloudAccount], at: datetime | None = None) -> list[dict]:
    """``summary`` of each framework over the same accounts: the latest scans and the attestations are read
    once, and the scores and snapshots of the frameworks the memo lacks in one query each."""
    at = at or timezone.now()
    latest = latest_scans(accounts)
    scan_ids = tuple(scan_id for scan_id, _ in latest)
    attestations = attestations_of([fw.id for fw in frameworks])
    keys = {
        fw.id: ("summary", fw.id, fw.version, latest, _attestation_key(attestations[fw.id], at)) for fw in frameworks
    }
    computed: dict[str, dict[str, Any]] = {}
    missing = [fw for fw in frameworks if not MEMO.has(keys[fw.id])]
    if missing:
        computed = _summaries(missing, scan_ids, attestations, at)

    def compute(fw: Framework) -> dict[str, Any]:  # expired since ``has`` said otherwise: on its own
        return computed[fw.id] if fw.id in computed else _summaries([fw], scan_ids, attestations, at)[fw.id]

    return [dict(MEMO.get(keys[fw.id], lambda fw=fw: compute(fw))) for fw in frameworks]


def _summaries(
    frameworks: list[Framework], scan_ids: tuple[int, ...], attestations: dict[str, list[Attestation]], at: datetime
) -> dict[str, dict[str, Any]]:
    ids = [fw.id for fw in frameworks]
    results: dict[str, list[AccountResult]] = defaultdict(list)
    for framework_id, *row in ComplianceScore.objects.filter(scan_id__in=scan_ids, framework_id__in=ids).values_list(
        "framework_id", *SCORE_FIELDS
    ):
        results[framework_id].append(_result(tuple(row)))
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    statuses: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    in_scope = [fid for fid in ids if results[fid]]
    if in_scope:
        for framework_id, control_id, status, passed, failed, errored, manual in ComplianceSnapshot.objects.filter(
            scan_id__in=scan_ids, framework_id__in=in_scope
        ).values_list("framework_id", "control_id", "status", "passed", "failed", "errored", "manual"):
            counts[(framework_id, control_id)].update(passed=passed, failed=failed, errored=errored, manual=manual)
            statuses[framework_id][control_id].add(status)
    return {
        fw.id: _summary(fw, results[fw.id], active(attestations[fw.id], at), counts, statuses[fw.id])
        for fw in frameworks
    }


def _summary(
    fw: Framework,
    results: list[AccountResult],
    attested: list[Attested],
    counts: dict[tuple[str, str], Counter],
    statuses: dict[str, set[str]],
) -> dict[str, Any]:
    scored = score_controls(
        fw,
        results,
        attested,
        errored=frozenset(c for c, s in statuses.items() if ControlStatus.ERROR in s),
        manual_only=frozenset(c for c, s in statuses.items() if ControlStatus.MANUAL in s),
    )
    controls = {c.id: _control(c, scored, counts.get((fw.id, c.id), Counter())) for c in fw.controls}
    sections = [
        {
            "id": section.id,
            "title": section.title,
            "parent": section.parent_id,
            "controls": [controls[c.id] for c in fw.controls if c.section_id == section.id],
        }
        for section in fw.sections
    ]
    return {
        "framework": {"id": fw.id, "title": fw.title, "version": fw.version, "provider": fw.provider},
        **scored.as_dict(),
        "account_ids": sorted(r.account_id for r in results),
        "sections": sections,
    }


def _control(control: Any, scored: Score, counts: Counter) -> dict[str, Any]:
    status = scored.statuses[control.id]
    return {
        "id": control.id,
        "title": control.title,
        "assessment": control.assessment,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "evaluated_by": "rules"
        if status in (PASS, FAIL)
        else ("attestation" if status in (ATTESTED_PASS, ATTESTED_FAIL) else ""),
        "attestations": scored.attested_by.get(control.id, []),
        "rules": list(control.rules),
        "passed": counts["passed"],
        "failed": counts["failed"],
        "errored": counts["errored"],
        "manual": counts["manual"],
    }


def _bucket(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


def trend(
    framework_id: str, accounts: QuerySet[CloudAccount], *, start: datetime, end: datetime, weekly: bool = False
) -> list[dict[str, Any]]:
    """The score per day (or week), each account carried at its latest scan until rescanned, attestations as
    they were in force at the end of each day (the last point: at ``end``, as the headline).

    Computed once per process for the same latest scans, days, bucket and attestations (see ``MEMO``)."""
    fw = catalog().get(framework_id)
    rows = attestations_of([fw.id])[fw.id]
    key = (
        "trend",
        fw.id,
        fw.version,
        latest_scans(accounts),
        start.date(),
        end.date(),
        weekly,
        tuple((a.id, a.revoked_at) for a in rows),
        _attestation_key(rows, end),
    )
    return MEMO.get(key, lambda: _trend(fw, accounts, rows, start=start, end=end, weekly=weekly))


def _trend(
    fw: Framework,
    accounts: QuerySet[CloudAccount],
    rows: list[Attestation],
    *,
    start: datetime,
    end: datetime,
    weekly: bool,
) -> list[dict[str, Any]]:
    base = ComplianceScore.objects.filter(framework_id=fw.id, account__in=accounts)
    latest: dict[int, AccountResult] = {}
    before = base.filter(taken_at__lt=start).values("account_id").annotate(last=Max("taken_at"))
    for row in base.filter(
        taken_at__in=[b["last"] for b in before], account_id__in=[b["account_id"] for b in before]
    ).values_list(*SCORE_FIELDS):
        latest[row[0]] = _result(row)
    # Only the day of each score is read (the database truncates it): parsing every timestamp was most of the time.
    in_window = list(
        base.filter(taken_at__gte=start, taken_at__lte=end)
        .order_by("taken_at", "id")
        .annotate(day=TruncDate("taken_at"))
        .values_list("day", *SCORE_FIELDS)
    )
    points: list[dict[str, Any]] = []
    cursor = 0
    bucket = _bucket(start.date(), weekly)
    step = timedelta(weeks=1) if weekly else timedelta(days=1)
    last_bucket = _bucket(end.date(), weekly)
    while bucket <= last_bucket:
        bucket_end = bucket + step
        while cursor < len(in_window) and in_window[cursor][0] < bucket_end:
            latest[in_window[cursor][1]] = _result(in_window[cursor][1:])
            cursor += 1
        moment = end if bucket == last_bucket else _day_end(bucket_end)
        scored = score_controls(fw, latest.values(), active(rows, moment)).as_dict()
        points.append({"date": bucket.isoformat(), **scored})
        bucket = bucket_end
    return points


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) - timedelta(microseconds=1)


def rollup(
    fw: Framework, accounts: QuerySet[CloudAccount], by: str, at: datetime | None = None
) -> list[dict[str, Any]]:
    """One score per account (``by="account"``) or per team (``by="team"``; accounts of no team together
    under ""), each from the same model as the headline, worst first."""
    at = at or timezone.now()
    scan_ids = latest_scan_ids(accounts)
    attested = active(attestations_of([fw.id])[fw.id], at)
    groups: dict[Any, list[AccountResult]] = defaultdict(list)
    for row in ComplianceScore.objects.filter(scan_id__in=scan_ids, framework_id=fw.id).values_list(*SCORE_FIELDS):
        result = _result(row)
        groups[result.account_id if by == "account" else result.team].append(result)
    out = [{"key": key, **score_controls(fw, results, attested).as_dict()} for key, results in groups.items()]
    out.sort(key=lambda r: (r["score"] is None, r["score"] if r["score"] is not None else 0, str(r["key"])))
    return out
