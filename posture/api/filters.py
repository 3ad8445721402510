"""Filter definitions shared by the API and the web pages: one FilterSet per model.

Unknown query parameters are an error (400 naming them), not silently ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from posture.findings.models import SEVERITY_CHOICES, STATUS_CHOICES, EventKind, Finding, FindingEvent
from posture.findings.search import search_q
from posture.inventory.models import CloudAccount, Resource
from posture.rules.frameworks import FrameworkError, catalog
from posture.rules.registry import CATEGORIES, rules_in_category

CONTROL_PARAMS = {"cursor", "page_size", "ordering", "format"}
MAX_ID = 2**63 - 1  # a larger number is a 400, not an overflow in the database driver


class StrictFilterBackend(DjangoFilterBackend):
    """Like DjangoFilterBackend, but a parameter no filter knows is a 400."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            known = set(filterset_class.base_filters) | CONTROL_PARAMS | set(getattr(view, "extra_params", ()))
            for name, flt in filterset_class.base_filters.items():
                if isinstance(flt, (df.DateTimeFromToRangeFilter, df.IsoDateTimeFromToRangeFilter)):
                    known |= {f"{name}_after", f"{name}_before"}
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError({name: ["unknown filter"] for name in unknown})
        return super().filter_queryset(request, queryset, view)


class StrictBooleanFilter(df.TypedChoiceFilter):
    """true/false (or 1/0); anything else is a 400, not silently ignored."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(df.fields.IsoDateTimeField):
    """An ISO 8601 time that also exists in UTC (the database compares in UTC).

    ``0001-01-01T00:00:00+14:00`` parses, but is a year before the first one in UTC: a clear error
    here instead of an OverflowError in the database driver.
    """

    def to_python(self, value):
        parsed = super().to_python(value)
        if isinstance(parsed, datetime):
            try:
                parsed.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "is outside the years 1 to 9999 once converted to UTC", code="out_of_range"
                ) from None
        return parsed


class UtcIsoDateTimeRangeField(df.fields.RangeField):
    widget = df.widgets.DateRangeWidget

    def __init__(self, *args, **kwargs) -> None:
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class TimeRangeFilter(df.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` as ISO 8601 times; one that no UTC clock shows is a 400."""

    field_class = UtcIsoDateTimeRangeField


# Multiple-choice filters here never cross a to-many relation: no DISTINCT (it sorts every matching row).
class FindingFilter(df.FilterSet):
    # By the accounts' ids, looked up first: the planner then reads a page off (account_id, status, id)
    # instead of every finding of the account (a join on the name hides which account it is).
    account = df.CharFilter(field_name="name", method="filter_accounts")
    team = df.CharFilter(field_name="team", method="filter_accounts")
    provider = df.CharFilter(field_name="provider", method="filter_accounts")
    region = df.CharFilter(field_name="resource__region")
    service = df.CharFilter(field_name="resource__service")
    resource_type = df.CharFilter(field_name="resource__type")
    resource = df.CharFilter(field_name="resource_uid")
    severity = df.MultipleChoiceFilter(choices=SEVERITY_CHOICES, distinct=False)
    status = df.MultipleChoiceFilter(choices=STATUS_CHOICES, distinct=False)
    rule = df.CharFilter(field_name="rule_id")
    category = df.ChoiceFilter(
        choices=list(CATEGORIES.items()), method="filter_category", label="Rule category (e.g. exposure)"
    )
    framework = df.CharFilter(method="filter_framework")
    control = df.CharFilter(method="filter_control")
    muted = StrictBooleanFilter()
    first_seen = TimeRangeFilter()
    last_seen = TimeRangeFilter()
    updated = TimeRangeFilter(field_name="updated_at")
    q = df.CharFilter(
        method="search", label="Text search over rule id and title, resource uid, name and images, message, evidence"
    )

    class Meta:
        model = Finding
        fields: list[str] = []

    def filter_accounts(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        ids = CloudAccount.objects.filter(**{name: value}).order_by().values_list("id", flat=True)
        return qs.filter(account_id__in=list(ids))

    def _framework(self):
        fid = self.data.get("framework")
        if not fid:
            raise ValidationError({"control": ["needs framework"]})
        try:
            return catalog().get(fid)
        except FrameworkError as exc:
            raise ValidationError({"framework": [str(exc)]}) from None

    def filter_framework(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        fw = self._framework()
        if self.data.get("control"):
            return qs  # control narrows further below
        return qs.filter(rule_id__in={r for c in fw.controls for r in c.rules})

    def filter_control(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        fw = self._framework()
        try:
            control = fw.control(value)
        except KeyError as exc:
            raise ValidationError({"control": [str(exc).strip("'\"")]}) from None
        return qs.filter(rule_id__in=control.rules)

    def filter_category(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(rule_id__in=sorted(rules_in_category(value)))

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(search_q(value))


class ResourceFilter(df.FilterSet):
    account = df.CharFilter(field_name="account__name")
    provider = df.CharFilter()
    region = df.CharFilter()
    service = df.CharFilter()
    type = df.CharFilter()
    gone = StrictBooleanFilter(method="filter_gone")
    q = df.CharFilter(method="search")

    class Meta:
        model = Resource
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(Q(uid__icontains=value) | Q(name__icontains=value))

    def filter_gone(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(gone_at__isnull=not value)


class EventFilter(df.FilterSet):
    finding = df.NumberFilter(field_name="finding_id", min_value=1, max_value=MAX_ID)
    scan = df.NumberFilter(field_name="scan_id", min_value=1, max_value=MAX_ID)
    account = df.CharFilter(field_name="finding__account__name")
    kind = df.MultipleChoiceFilter(choices=EventKind.choices, distinct=False)
    at = TimeRangeFilter()

    class Meta:
        model = FindingEvent
        fields: list[str] = []
