"""The findings page's query: the API's FindingFilter, a sort, keyset paging, and grouping."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import django_filters as df
from django.db.models import Count, Min, QuerySet
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from posture.access.scoping import scope
from posture.api.filters import FindingFilter
from posture.findings.models import Finding, severity_rank
from posture.rules.frameworks import catalog
from posture.rules.verdicts import SEVERITY_ORDER

SORTS: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "severity": ("Severity", [("sev_rank", False), ("id", True)]),
    "last_seen": ("Last seen", [("last_seen", True), ("id", True)]),
    "first_seen": ("Oldest first", [("first_seen", False), ("id", False)]),
    "rule": ("Rule", [("rule_id", False), ("id", False)]),
    "resource": ("Resource", [("resource_uid", False), ("id", False)]),
}
GROUPS = {"": "No grouping", "control": "By control", "resource": "By resource"}
PAGE_SIZES = (25, 50, 100)
GROUP_LIMIT = 200
ROW_FIELDS = (
    "id",
    "rule_id",
    "resource_uid",
    "status",
    "severity",
    "message",
    "first_seen",
    "last_seen",
    "muted",
    "mute_rule_id",
    "account__name",
    "account__provider",
    "resource__name",
    "resource__region",
    "resource__type",
)


def filter_param_names() -> set[str]:
    names = set(FindingFilter.base_filters)
    for name, flt in FindingFilter.base_filters.items():
        if isinstance(flt, (df.DateTimeFromToRangeFilter, df.IsoDateTimeFromToRangeFilter)):
            names |= {f"{name}_after", f"{name}_before"}
    return names


@dataclass
class FindingQuery:
    """What the request asked for, after validation; ``problems`` are shown, never raised."""

    qs: QuerySet
    filters: QueryDict
    sort: str
    group: str
    size: int
    problems: list[str] = field(default_factory=list)


def build(params: QueryDict, user: Any) -> FindingQuery:
    """The user's findings (team scoping, as /api/v1/findings/), filtered with the API's FilterSet.

    Bad values become messages.
    """
    known = filter_param_names()
    filters = QueryDict(mutable=True)
    for key in params:
        values = [v for v in params.getlist(key) if v != ""]
        if key in known and values:
            filters.setlist(key, values)
    problems: list[str] = []
    base = scope(Finding.objects.all(), user)
    fs = FindingFilter(data=filters, queryset=base)
    try:
        if fs.is_valid():
            qs = fs.qs
        else:
            problems += [f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in fs.errors.items()]
            qs = base.none()
    except ValidationError as exc:
        detail = exc.detail if isinstance(exc.detail, dict) else {"filter": exc.detail}
        problems += [f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in detail.items()]
        qs = base.none()
    sort = params.get("sort", "severity")
    if sort not in SORTS:
        problems.append(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
        sort = "severity"
    group = params.get("group", "")
    if group not in GROUPS:
        problems.append(f"group: {group!r} is not one of control, resource")
        group = ""
    try:
        size = int(params.get("size", 50))
    except ValueError:
        size = 50
    size = size if size in PAGE_SIZES else 50
    return FindingQuery(qs=qs, filters=filters, sort=sort, group=group, size=size, problems=problems)


def rows_queryset(query: FindingQuery) -> QuerySet:
    qs = query.qs.values(*ROW_FIELDS)
    if query.sort == "severity":
        qs = qs.annotate(sev_rank=severity_rank())
    return qs


def grouped(query: FindingQuery) -> list[dict[str, Any]]:
    """Counts per control (rules mapped to framework controls) or per resource, biggest first."""
    names = {n: str(s) for s, n in SEVERITY_ORDER.items()}
    if query.group == "resource":
        by_resource = list(
            query.qs.values("resource_uid", "resource__name", "account__name")
            .annotate(n=Count("id"), worst=Min(severity_rank()))
            .order_by("worst", "-n", "resource_uid")[:GROUP_LIMIT]
        )
        for row in by_resource:
            row["severity"] = names.get(row["worst"], "info")
        return by_resource
    by_rule = list(
        query.qs.values("rule_id")
        .annotate(n=Count("id"), worst=Min(severity_rank()))
        .order_by("worst", "-n")[:GROUP_LIMIT]
    )
    frameworks = catalog()
    for row in by_rule:
        row["severity"] = names.get(row["worst"], "info")
        row["controls"] = [f"{fw}:{control}" for fw, control in frameworks.controls_for_rule(row["rule_id"])]
    return by_rule
