from __future__ import annotations

from django.utils import timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from posture.access.audit import record
from posture.access.models import ApiToken, AuditLog
from posture.access.roles import Role
from posture.access.tokens import issue_token
from posture.api.serializers import AuditSerializer, TokenSerializer


class AuditLogViewSet(viewsets.ReadOnlyModelViewSet):
    """Who did what, when (admins only)."""

    queryset = AuditLog.objects.all()
    serializer_class = AuditSerializer
    filterset_fields = ["action", "source", "object_type", "object_id"]
    read_role = Role.ADMIN


class TokenViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your own API tokens. The key is in the creation response only; DELETE revokes."""

    serializer_class = TokenSerializer
    write_role = Role.VIEWER  # anyone with a role manages their own tokens
    filterset_fields = ["read_only"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        if isinstance(request.auth, ApiToken):
            raise serializers.ValidationError({"detail": "create tokens from a signed-in session, not with a token"})
        token, key = issue_token(
            request.user, data.validated_data["name"], read_only=data.validated_data.get("read_only", False)
        )
        record("token.create", token, user=request.user, source="api", detail={"read_only": token.read_only})
        body = dict(self.get_serializer(token).data, key=key)
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        token = self.get_object()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            record("token.revoke", token, user=request.user, source="api")
        return Response(status=status.HTTP_204_NO_CONTENT)
