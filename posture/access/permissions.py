from __future__ import annotations

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
