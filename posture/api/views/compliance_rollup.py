"""Managers' compliance API: a framework's score per team or account with its change over a period, and what
moved the score between two dates. Same functions as the pages (``posture.findings.group_trends``, ``.movement``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from posture.api.views.compliance import SCOPE, framework_or_404, scoped_accounts
from posture.findings.group_trends import GROUPINGS, score_table
from posture.findings.movement import BadWindow, movement, window

MAX_DAYS = 730


def days_of(raw: str | None) -> int:
    try:
        days = int(raw if raw is not None else 30)
    except ValueError:
        raise ValidationError({"days": ["a whole number"]}) from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": [f"between 1 and {MAX_DAYS}"]})
    return days


class ComplianceRollupViewSet(viewsets.ViewSet):
    """Per-team and per-account scores with their change, and the controls that moved the score."""

    @extend_schema(
        operation_id="compliance_rollup",
        description="One row per team or account, worst first: the score now (as the headline scoped to it), its "
        "change over ``days`` (now minus the trend's first point, null when there was no score then) and the "
        "daily points.",
        parameters=[
            *SCOPE,
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(GROUPINGS), description="rows per team (default)"),
            OpenApiParameter("days", OpenApiTypes.INT, description="period of the change (default 30, max 730)"),
        ],
        responses={200: dict},
    )
    def rollup(self, request, pk=None):
        fw = framework_or_404(pk)
        accounts = scoped_accounts(request, {"account", "team", "by", "days"})
        by = request.query_params.get("by", "team")
        if by not in GROUPINGS:
            raise ValidationError({"by": [" or ".join(GROUPINGS)]})
        days = days_of(request.query_params.get("days"))
        end = timezone.now()
        start = end - timedelta(days=days - 1)
        rows = score_table(fw, accounts, by, start=start, end=end)
        return Response(
            {
                "framework": fw.id,
                "by": by,
                "days": days,
                "from": start.date().isoformat(),
                "rows": [{k: v for k, v in row.items() if k != "key"} | {by: row["key"]} for row in rows],
            }
        )

    @extend_schema(
        operation_id="compliance_movement",
        description="The scores at both dates (the trend's points at those dates) and each control whose status "
        "changed between them, with the findings of its rules opened, resolved or reopened in between. Dates "
        "that are malformed, in the future, or with from after to are a 400.",
        parameters=[
            *SCOPE,
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="YYYY-MM-DD, at most today (default today)"),
        ],
        responses={200: dict},
    )
    def movement(self, request, pk=None):
        fw = framework_or_404(pk)
        accounts = scoped_accounts(request, {"account", "team", "from", "to"})
        try:
            win = window(request.query_params.get("from", ""), request.query_params.get("to", ""))
        except BadWindow as exc:
            raise ValidationError({"dates": [str(exc)]}) from None
        return Response(movement(fw, accounts, win))
