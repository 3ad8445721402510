"""The findings page's query: the API's FindingFilter, a sort, keyset paging, grouping, a count and chips.

The page starts where work starts: failing, unmuted findings. ``status`` and ``muted`` left out of the
URL mean that default; ``status=all`` and ``muted=any`` say "everything" explicitly, so every view
has a link of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import django_filters as df
from django.db.models import Count, Min, QuerySet
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from posture.access.scoping import scope
from posture.findings.filters import FindingFilter
from posture.findings.models import Finding, severity_rank
from posture.findings.search import rule_title
from posture.rules.frameworks import catalog
from posture.rules.registry import CATEGORIES
from posture.rules.verdicts import SEVERITY_ORDER

SORTS: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "severity": ("Severity, newest first", [("sev_rank", False), ("first_seen", True), ("id", True)]),
    "last_seen": ("Last seen", [("last_seen", True), ("id", True)]),
    "first_seen": ("Oldest first", [("first_seen", False), ("id", False)]),
    "rule": ("Rule", [("rule_id", False), ("id", False)]),
    "resource": ("Resource", [("resource_uid", False), ("id", False)]),
}
GROUPS = {"": "No grouping", "control": "By control", "resource": "By resource"}
PAGE_SIZES = (25, 50, 100)
GROUP_LIMIT = 200
COUNT_CAP = 10_000  # beyond this the page says "10,000+": counting a million rows is not worth a wait
DEFAULTS = {"status": "FAIL", "muted": "false"}  # what the page shows when the URL does not say
EVERYTHING = {"status": "all", "muted": "any"}  # the explicit "no filter" of each default
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
    filters = page_filters(params)
    problems: list[str] = []
    base = scope(Finding.objects.all(), user)
    fs = FindingFilter(data=filterset_data(filters), queryset=base)
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


def page_filters(params: QueryDict) -> QueryDict:
    """The filters the URL names, with the page's defaults where it names none.

    ``status=all`` beside real statuses (the form always sends it) gives way to them.
    """
    known = filter_param_names()
    filters = QueryDict(mutable=True)
    for key in params:
        values = list(dict.fromkeys(v for v in params.getlist(key) if v != ""))
        if key in known and values:
            filters.setlist(key, values)
    statuses = filters.getlist("status")
    if len(statuses) > 1 and EVERYTHING["status"] in statuses:
        filters.setlist("status", [s for s in statuses if s != EVERYTHING["status"]])
    for key, value in DEFAULTS.items():
        filters.setdefault(key, value)
    return filters


def filterset_data(filters: QueryDict) -> QueryDict:
    """What the API's FilterSet gets: the page's filters without the explicit "everything" values."""
    data = filters.copy()
    for key, value in EVERYTHING.items():
        if data.getlist(key) == [value]:
            del data[key]
    return data


def total(query: FindingQuery) -> tuple[int, bool]:
    """How many findings match, counted up to ``COUNT_CAP`` (one query); ``(n, True)`` means "n or more"."""
    n = query.qs.order_by()[: COUNT_CAP + 1].count()
    return min(n, COUNT_CAP), n > COUNT_CAP


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


def view_qs(query: FindingQuery) -> str:
    """Filters plus sort, grouping and page size: what a link to this exact view needs."""
    params = query.filters.copy()
    params["sort"] = query.sort
    if query.group:
        params["group"] = query.group
    params["size"] = str(query.size)
    return params.urlencode()


@dataclass(frozen=True)
class Chip:
    """One active filter value, and the query string of the same view without it."""

    name: str
    value: str
    label: str
    remove_qs: str


CHIP_NAMES = {"q": "Search", "resource_type": "Resource type", "first_seen_after": "First seen after"}


def chip_label(name: str, value: str) -> str:
    if name == "muted":
        return "Not muted" if value in ("false", "0") else "Muted only"
    if name == "category":
        return f"Category: {CATEGORIES.get(value, value)}"
    if name == "rule":
        return f"Rule: {rule_title(value) or value}"
    if name == "q":
        return f"Search: “{value}”"
    return f"{CHIP_NAMES.get(name, name.replace('_', ' ').capitalize())}: {value}"


def without(query: FindingQuery, name: str, value: str) -> str:
    """This view's query string with one filter value gone; a default filter removed becomes "everything"."""
    params = QueryDict(view_qs(query), mutable=True)
    remaining = [v for v in params.getlist(name) if v != value]
    if remaining:
        params.setlist(name, remaining)
    elif name in EVERYTHING:
        params[name] = EVERYTHING[name]
    else:
        params.pop(name, None)
    if name == "framework":
        params.pop("control", None)  # a control needs its framework
    return params.urlencode()


def chips(query: FindingQuery) -> list[Chip]:
    """A chip for every active filter value, in the URL's order; "everything" is no filter."""
    return [
        Chip(name, value, chip_label(name, value), without(query, name, value))
        for name in query.filters
        for value in query.filters.getlist(name)
        if EVERYTHING.get(name) != value
    ]
