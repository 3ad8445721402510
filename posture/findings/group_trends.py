"""Per-account and per-team score tables with their change over a period: the managers' view of a framework.

Each group's trend is the one :func:`posture.findings.compliance.trend` would draw for that group's accounts
(each account carried at its latest scan until rescanned, attestations as in force at the end of each day),
read from one pass over the ``ComplianceScore`` rows of every group at once, and scored by
:func:`posture.findings.scoring.score_controls`; the score now is :func:`posture.findings.compliance.rollup`'s.
Six queries, however many groups, days or scans.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate

from posture.findings.compliance import SCORE_FIELDS, _day_end, _result, attestations_of, rollup
from posture.findings.models import ComplianceScore
from posture.findings.scoring import AccountResult, active, score_controls
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import Framework

GROUPINGS = ("team", "account")
PERIODS = (30, 90)


def group_of(result: AccountResult, by: str) -> Any:
    """The row an account's result belongs to: its id (``by="account"``) or its team ("" for none)."""
    return result.account_id if by == "account" else result.team


def latest_scores(fw: Framework, accounts: QuerySet[CloudAccount], **taken_at: datetime) -> list[AccountResult]:
    """Each account's newest score of ``fw`` taken in the range (``taken_at__lt=``, ``taken_at__lte=``): one query."""
    newest = (
        ComplianceScore.objects.filter(account=OuterRef("pk"), framework_id=fw.id, **taken_at)
        .order_by("-taken_at", "-id")
        .values("id")[:1]
    )
    ids = accounts.order_by().annotate(newest=Subquery(newest)).values("newest")
    return [_result(row) for row in ComplianceScore.objects.filter(id__in=ids).values_list(*SCORE_FIELDS)]


def group_trends(
    fw: Framework, accounts: QuerySet[CloudAccount], by: str, *, start: datetime, end: datetime
) -> dict[Any, list[dict[str, Any]]]:
    """Daily points per group (account id or team name), as ``trend`` gives them for that group's accounts."""
    attestations = attestations_of([fw.id])[fw.id]
    latest = {r.account_id: r for r in latest_scores(fw, accounts, taken_at__lt=start)}
    in_window = list(
        ComplianceScore.objects.filter(framework_id=fw.id, account__in=accounts, taken_at__gte=start, taken_at__lte=end)
        .order_by("taken_at", "id")
        .annotate(day=TruncDate("taken_at"))
        .values_list("day", *SCORE_FIELDS)
    )
    groups = {group_of(r, by) for r in latest.values()} | {group_of(_result(row[1:]), by) for row in in_window}
    out: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    cursor, day, last_day = 0, start.date(), end.date()
    while day <= last_day:
        next_day = day + timedelta(days=1)
        while cursor < len(in_window) and in_window[cursor][0] < next_day:
            latest[in_window[cursor][1]] = _result(in_window[cursor][1:])
            cursor += 1
        attested = active(attestations, end if day == last_day else _day_end(next_day))
        members: dict[Any, list[AccountResult]] = defaultdict(list)
        for result in latest.values():
            members[group_of(result, by)].append(result)
        for group in groups:
            out[group].append({"date": day.isoformat(), **score_controls(fw, members[group], attested).as_dict()})
        day = next_day
    return dict(out)


def change(now: float | None, points: list[dict[str, Any]]) -> float | None:
    """Score now minus the score at the period's first day; None when either is unknown."""
    first = points[0]["score"] if points else None
    return round(now - first, 1) if now is not None and first is not None else None


def score_table(
    fw: Framework, accounts: QuerySet[CloudAccount], by: str, *, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """One row per group, worst first: the score now (``rollup``), its change since ``start``, its trend."""
    trends = group_trends(fw, accounts, by, start=start, end=end)
    names = dict(accounts.values_list("id", "name")) if by == "account" else {}
    rows = []
    for now in rollup(fw, accounts, by, at=end):
        points = trends.get(now["key"], [])
        name = names.get(now["key"], "") if by == "account" else now["key"]
        rows.append({**now, "name": name, "change": change(now["score"], points), "points": points})
    return rows
