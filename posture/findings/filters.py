"""Which findings and finding events: one FilterSet per model, shared by the API, the findings page and the CLI.

A broken filter (an unknown framework or control, a bad time) raises a ValidationError naming the parameter.
"""

from __future__ import annotations

import django_filters as df
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError

from posture.filters import MAX_ID, StrictBooleanFilter, TimeRangeFilter
from posture.findings.models import SEVERITY_CHOICES, STATUS_CHOICES, EventKind, Finding, FindingEvent
from posture.findings.search import search_q
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import FrameworkError, catalog
from posture.rules.registry import CATEGORIES, rules_in_category


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


class EventFilter(df.FilterSet):
    finding = df.NumberFilter(field_name="finding_id", min_value=1, max_value=MAX_ID)
    scan = df.NumberFilter(field_name="scan_id", min_value=1, max_value=MAX_ID)
    account = df.CharFilter(field_name="finding__account__name")
    kind = df.MultipleChoiceFilter(choices=EventKind.choices, distinct=False)
    at = TimeRangeFilter()

    class Meta:
        model = FindingEvent
        fields: list[str] = []
