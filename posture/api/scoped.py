from __future__ import annotations

from posture.access.scoping import scope


class Scoped:
    """Viewset mixin: every query (lists, details, actions, exports) sees only the user's accounts."""

    account_path = "account"

    def get_queryset(self):
        return scope(super().get_queryset(), self.request.user, self.account_path)
