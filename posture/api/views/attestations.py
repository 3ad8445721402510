"""Attestations over the API: list what the user may read, record one, revoke one (DELETE keeps it for the record)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from posture.api.serializers import VisibleAccountField
from posture.findings.attestations import (
    AttestationInput,
    AttestationInputError,
    create_attestation,
    revoke_attestation,
    state_of,
    visible_attestations,
)
from posture.findings.models import Attestation, AttestationResult

STATES = ("active", "expired", "revoked")


class AttestationSerializer(serializers.ModelSerializer):
    account = VisibleAccountField(required=False, allow_null=True)
    team = serializers.CharField(max_length=100, required=False, allow_blank=True)
    result = serializers.ChoiceField(choices=AttestationResult.choices)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    state = serializers.SerializerMethodField()

    class Meta:
        model = Attestation
        fields = [
            "id",
            "framework_id",
            "control_id",
            "account",
            "team",
            "result",
            "note",
            "evidence_url",
            "expires_at",
            "state",
            "created_by",
            "created_at",
            "revoked_by",
            "revoked_at",
        ]
        read_only_fields = ["created_by", "created_at", "revoked_by", "revoked_at"]

    def get_state(self, obj: Attestation) -> str:
        return state_of(obj)


@extend_schema(
    parameters=[
        OpenApiParameter("framework", OpenApiTypes.STR, description="a framework id"),
        OpenApiParameter("control", OpenApiTypes.STR, description="a control id"),
        OpenApiParameter("state", OpenApiTypes.STR, enum=list(STATES)),
    ]
)
class AttestationViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """A person's pass or fail for a control no rule decides, for an account, a team or every account, with an
    expiry; counted in the score while active. DELETE revokes it (kept, audited)."""

    serializer_class = AttestationSerializer
    queryset = Attestation.objects.none()

    def get_queryset(self):
        qs = visible_attestations(self.request.user).order_by("-id")
        params = self.request.query_params
        if params.get("framework"):
            qs = qs.filter(framework_id=params["framework"])
        if params.get("control"):
            qs = qs.filter(control_id=params["control"])
        state = params.get("state")
        if state:
            if state not in STATES:
                raise ValidationError({"state": [f"one of {', '.join(STATES)}"]})
            now = timezone.now()
            if state == "revoked":
                qs = qs.filter(revoked_at__isnull=False)
            elif state == "expired":
                qs = qs.filter(revoked_at__isnull=True, expires_at__lte=now)
            else:
                qs = qs.filter(revoked_at__isnull=True, expires_at__gt=now)
        return qs

    def perform_create(self, serializer) -> None:
        data = serializer.validated_data
        try:
            attestation = create_attestation(
                AttestationInput(
                    framework_id=data["framework_id"],
                    control_id=data["control_id"],
                    result=data["result"],
                    note=data.get("note", ""),
                    expires_at=data.get("expires_at"),
                    account=data.get("account"),
                    team=data.get("team", ""),
                    evidence_url=data.get("evidence_url", ""),
                ),
                user=self.request.user,
                source="api",
            )
        except AttestationInputError as exc:
            field, _, message = str(exc).partition(": ")
            raise ValidationError({field if message else "detail": [message or str(exc)]}) from None
        serializer.instance = attestation

    def destroy(self, request, *args, **kwargs):
        try:
            revoke_attestation(self.get_object(), user=request.user, source="api")
        except AttestationInputError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_204_NO_CONTENT)
