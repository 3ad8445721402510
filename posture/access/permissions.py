from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission

from posture.access.models import ApiToken
from posture.access.roles import Role, has_role


class RolePermission(BasePermission):
    """Viewers read; changes need ``view.write_role`` (analyst unless the view says admin)."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return has_role(request.user, getattr(view, "read_role", Role.VIEWER))
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            self.message = "This token is read-only."
            return False
        return has_role(request.user, getattr(view, "write_role", Role.ANALYST))


class ApiDocsPermission(RolePermission):
    """The OpenAPI schema and docs page: signed in (session or token) like the API, or anyone with
    ``POSTURE_PUBLIC_API_DOCS=true``."""

    def has_permission(self, request, view) -> bool:
        return settings.PUBLIC_API_DOCS or super().has_permission(request, view)
