"""The API's filter backend: each model's FilterSet lives beside the model (``posture/<app>/filters.py``).

Unknown query parameters are an error (400 naming them), not silently ignored.
"""

from __future__ import annotations

import django_filters as df
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

CONTROL_PARAMS = {"cursor", "page_size", "ordering", "format"}


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
