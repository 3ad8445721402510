from __future__ import annotations

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from posture.access.audit import record
from posture.access.roles import Role, has_role
from posture.access.scoping import account_filter, can_see
from posture.api.filters import StrictFilterBackend
from posture.api.schema import OBJECT, OBJECTS
from posture.api.scoped import Scoped
from posture.api.serializers import (
    FINDING_COLUMNS,
    EventSerializer,
    FindingSerializer,
    MuteRuleSerializer,
    findings_json,
)
from posture.findings.export import FORMATS, export_stream
from posture.findings.filters import EventFilter, FindingFilter
from posture.findings.models import Finding, FindingEvent, MuteRule
from posture.findings.mutes import apply_mutes, validate
from posture.findings.triage import revoke_rule

FEED_MAX = 1000


class FindingViewSet(Scoped, viewsets.ReadOnlyModelViewSet):
    """Findings with the shared filters; `changes` is the incremental feed, `export` streams files."""

    # Not read by the serializer: the search column, credentials, resource configuration (can be large).
    queryset = Finding.objects.select_related("account", "resource").defer(
        "search_text", "account__credentials_encrypted", "resource__config", "resource__tags"
    )
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    filter_backends = [StrictFilterBackend, OrderingFilter]
    ordering_fields = ["id", "severity", "status", "first_seen", "last_seen", "updated_at", "rule_id"]
    extra_params = {"after", "limit"}

    # A page of plain rows (FINDING_COLUMNS), not model instances: the cursor reads its position from the
    # row, and findings_json writes what FindingSerializer declares.
    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values(*FINDING_COLUMNS))
        return self.get_paginated_response(findings_json(page))

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="the last change_seq you have (0 to start)"),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"at most this many (max {FEED_MAX})"),
        ],
        responses={200: dict},
    )
    @action(detail=False, methods=["get"])
    def changes(self, request):
        """Changes in commit order: poll with after=<next_after>; nothing is skipped or repeated."""
        try:
            after = int(request.query_params.get("after", 0))
            limit = min(int(request.query_params.get("limit", 500)), FEED_MAX)
        except ValueError:
            raise ValidationError({"after": ["whole numbers only"]}) from None
        if after < 0 or limit < 1:
            raise ValidationError({"after": ["after >= 0 and limit >= 1"]})
        qs = self.filter_queryset(self.get_queryset()).filter(change_seq__gt=after).order_by("change_seq")
        items = findings_json(qs.values(*FINDING_COLUMNS)[:limit])
        return Response({"results": items, "next_after": items[-1]["change_seq"] if items else after})

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=sorted(FORMATS))],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): OBJECTS,  # json: findings; ocsf: OCSF Detection Findings
            (200, "application/sarif+json"): OBJECT,
        },
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The current filter as CSV, JSON, OCSF or SARIF, streamed."""
        fmt = request.query_params.get("format", "json")
        if fmt not in FORMATS:
            raise ValidationError({"format": [f"one of {', '.join(sorted(FORMATS))}"]})
        qs = self.filter_queryset(self.get_queryset()).order_by("id")
        content_type, extension = FORMATS[fmt]
        response = StreamingHttpResponse(export_stream(fmt, qs), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="findings.{extension}"'
        record(
            "findings.export",
            None,
            user=request.user,
            source="api",
            detail={"format": fmt, "filters": dict(request.query_params.lists())},
        )
        return response


class EventViewSet(Scoped, viewsets.ReadOnlyModelViewSet):
    """Every status transition of a finding (opened, resolved, reopened, changed, muted, unmuted)."""

    queryset = FindingEvent.objects.select_related("actor")
    account_path = "finding__account"
    serializer_class = EventSerializer
    filterset_class = EventFilter


class MuteRuleViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Mute by rule, account, resource uid pattern or tag, with a reason and an optional expiry.

    DELETE revokes the rule (kept for the record) and unmutes what only it covered.
    """

    queryset = MuteRule.objects.select_related("account", "created_by")
    serializer_class = MuteRuleSerializer
    filterset_fields = ["rule_id"]

    def get_queryset(self):
        """Global rules (no account) and the rules of the accounts the user may see."""
        q = account_filter(self.request.user, "account")
        qs = super().get_queryset()
        return qs if q is None else qs.filter(q | Q(account__isnull=True))

    def perform_create(self, serializer) -> None:
        account = serializer.validated_data.get("account")
        if account is None and not has_role(self.request.user, Role.ADMIN):
            raise ValidationError({"account": ["only admins mute across every account; name an account"]})
        if account is not None and not can_see(self.request.user, account):
            raise ValidationError({"account": [f"Object with name={account.name} does not exist."]})
        validate(dict(serializer.validated_data), timezone.now())
        rule = serializer.save(created_by=self.request.user)
        record(
            "mute.create",
            rule,
            user=self.request.user,
            source="api",
            detail={"rule_id": rule.rule_id, "pattern": rule.resource_pattern, "reason": rule.reason},
        )
        apply_mutes(actor=self.request.user)

    def destroy(self, request, *args, **kwargs):
        rule = self.get_object()
        if rule.account_id is None and not has_role(request.user, Role.ADMIN):
            return Response(
                {"detail": "only admins revoke a rule across every account"}, status=status.HTTP_403_FORBIDDEN
            )
        revoke_rule(rule, user=request.user, source="api")
        return Response(status=status.HTTP_204_NO_CONTENT)
