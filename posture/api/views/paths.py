"""GET /api/v1/paths/: exposure paths (internet -> foothold -> identity -> target), ranked, with their hops."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from posture.api.pagination import Cursor
from posture.paths.export import FORMATS, render
from posture.paths.items import TARGET_KINDS
from posture.paths.query import PathFilterError, PathFilters, filtered_paths, path_rows, visible_paths

FILTERS = ("account", "target_kind", "min_rank", "state", "format", "cursor", "page_size")


class HopSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField(help_text="internet, entry, route, workload, service_account, identity, target")
    target_kind = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    resource = serializers.IntegerField(allow_null=True, help_text="the resource's id (GET resources/{id}/)")
    account = serializers.IntegerField(allow_null=True)
    findings = serializers.ListField(child=serializers.DictField(), help_text="failing findings, muted ones marked")
    edge = serializers.DictField(allow_null=True, help_text="how the previous hop reaches this one")


class PathSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField(help_text="stable across scans")
    title = serializers.CharField()
    target_kind = serializers.CharField(help_text=f"one of {', '.join(TARGET_KINDS)}")
    rank = serializers.IntegerField(help_text="blast radius: admin first, then how much the foothold reaches")
    reach = serializers.IntegerField()
    entries = serializers.IntegerField()
    accounts = serializers.ListField(child=serializers.CharField())
    opened_at = serializers.CharField()
    closed_at = serializers.CharField(allow_null=True)
    hops = HopSerializer(many=True)


class PathCursor(Cursor):
    ordering = ("-rank", "-id")


PARAMETERS = [
    OpenApiParameter("account", OpenApiTypes.STR, description="paths crossing this account (name)"),
    OpenApiParameter("target_kind", OpenApiTypes.STR, enum=list(TARGET_KINDS)),
    OpenApiParameter("min_rank", OpenApiTypes.INT, description="rank at least this"),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "closed", "all"], description="default: open"),
    OpenApiParameter("format", OpenApiTypes.STR, enum=sorted(FORMATS), description="the whole list as a file"),
]


class PathViewSet(viewsets.GenericViewSet):
    """Exposure paths in the user's accounts (every account a path crosses must be theirs), worst first."""

    serializer_class = PathSerializer
    pagination_class = PathCursor

    def get_queryset(self):
        return visible_paths(self.request.user)

    @extend_schema(
        parameters=PARAMETERS,
        responses={(200, "application/json"): PathSerializer(many=True), (200, "text/csv"): OpenApiTypes.STR},
    )
    def list(self, request):
        unknown = sorted(set(request.query_params) - set(FILTERS))
        if unknown:
            raise ValidationError({name: ["unknown filter"] for name in unknown})
        try:
            paths = filtered_paths(request.user, PathFilters.parse(request.query_params))
        except PathFilterError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        fmt = request.query_params.get("format")
        if fmt is not None:
            if fmt not in FORMATS:
                raise ValidationError({"format": [f"one of {', '.join(sorted(FORMATS))}"]})
            rows = path_rows(paths.order_by("-rank", "id"))
            # JSON as one page holding every path (the list's own shape); CSV one row per path
            body = json.dumps({"next": None, "previous": None, "results": rows}) if fmt == "json" else render(fmt, rows)
            response = HttpResponse(body, content_type=FORMATS[fmt])
            response["Content-Disposition"] = f'attachment; filename="paths.{fmt}"'
            return response
        page = self.paginate_queryset(paths)
        return self.get_paginated_response(path_rows(page))

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)], responses={200: PathSerializer}
    )
    def retrieve(self, request, pk=None):
        key = int(pk) if str(pk).isascii() and str(pk).isdigit() and int(pk) < 2**63 else None
        found = path_rows(visible_paths(request.user).filter(pk=key)) if key is not None else []
        if not found:
            raise NotFound("No path matches the given query.")
        return Response(found[0])
