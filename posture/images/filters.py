"""One FilterSet for stored image scan results, used by the API list (and any page that lists them)."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q, QuerySet

from collectors.image_scans import SEVERITIES
from posture.filters import StrictBooleanFilter
from posture.images.models import ImageScanResult, Source
from posture.images.running import running_digest_set
from posture.inventory.models import Resource

SEVERITY_CHOICES = [(s.lower(), s.lower()) for s in SEVERITIES]
WORKLOAD_TYPE = "kubernetes.workloads.workload"


def any_of(fields: list[str]) -> Q:
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__gt": 0})
    return q


class ImageScanFilter(df.FilterSet):
    """``severity`` and ``fixable`` combine: ``severity=critical&fixable=true`` is "a critical with a fix"."""

    severity = df.ChoiceFilter(choices=SEVERITY_CHOICES, method="filter_severity")
    fixable = StrictBooleanFilter(method="filter_fixable")
    running = StrictBooleanFilter(method="filter_running", help_text="runs in a scanned cluster the user sees")
    source = df.ChoiceFilter(choices=Source.choices)
    imported = StrictBooleanFilter(field_name="account", lookup_expr="isnull")
    account = df.CharFilter(field_name="account__name")
    digest = df.CharFilter(max_length=100)
    q = df.CharFilter(method="search", max_length=200)

    class Meta:
        model = ImageScanResult
        fields: list[str] = []

    def levels(self) -> list[str]:
        chosen = self.form.cleaned_data.get("severity")
        return [chosen] if chosen else [s.lower() for s in SEVERITIES]

    def filter_severity(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        if self.form.cleaned_data.get("fixable") is not None:
            return qs  # filter_fixable reads the severity
        return qs.filter(any_of([value]))

    def filter_fixable(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        fixable = any_of([f"{s}_fixable" for s in self.levels()])
        return qs.filter(fixable) if value else qs.filter(any_of(self.levels())).exclude(fixable)

    def filter_running(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        from posture.access.scoping import scope

        workloads = scope(Resource.objects.filter(type=WORKLOAD_TYPE, gone_at__isnull=True), self.request.user)
        digests = running_digest_set(workloads.values_list("config", flat=True))
        return qs.filter(digest__in=digests) if value else qs.exclude(digest__in=digests)

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return qs.filter(Q(repository__icontains=value) | Q(registry__icontains=value) | Q(digest__icontains=value))
