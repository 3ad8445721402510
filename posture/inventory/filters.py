"""Which resources: the Resource FilterSet, shared by the API and the pages."""

from __future__ import annotations

import django_filters as df
from django.db.models import Q, QuerySet

from posture.filters import StrictBooleanFilter
from posture.inventory.models import Resource


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
