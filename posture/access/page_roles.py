"""Who may open a page, decided in one place: a page that needs a signed-in user needs a role too.

Public views are those marked ``login_not_required`` (the sign-in steps, the static script, and the
API, whose DRF permission checks roles itself); ``LoginRequiredMiddleware`` sends anonymous users to
sign in before anything else. A signed-in user with no role (Settings → Users → none) is refused every
other page, export and form with a page that says why and offers to sign out, except ``ROLELESS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from posture.access.roles import Role, has_role

# By view name: signing out, and the user's own second factor (no account data in either).
ROLELESS = frozenset({"logout", "settings-totp", "settings-totp-confirm", "settings-totp-remove"})
TEMPLATE = "frontend/no_role.html"


def needs_role(request: HttpRequest, view_func: Callable) -> bool:
    if not getattr(view_func, "login_required", True):
        return False
    match = request.resolver_match
    return match is None or match.view_name not in ROLELESS


class RequireRoleMiddleware:
    """After ``LoginRequiredMiddleware``: signed in but without a role is a 403 on every page that needs one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, args: Any, kwargs: Any) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or not needs_role(request, view_func) or has_role(user, Role.VIEWER):
            return None
        return render(request, TEMPLATE, {"role": Role.NONE}, status=403)
