"""``POSTURE_REQUIRE_ADMIN_TOTP``: an admin signed in with a password uses nothing before setting up TOTP.

Only sessions are held back: API tokens are unaffected (a token is its own credential, made by a
user who signed in). Admins who signed in through the OpenID provider are left to the provider's
MFA, unless ``POSTURE_OIDC_REQUIRE_TOTP`` asks Posture for a code after the provider too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from posture.access import totp
from posture.access.roles import Role, role_of
from posture.access.signin import METHOD

ENROL_PATH = "/settings/totp/"
OPEN_PATHS = (ENROL_PATH, "/logout/", "/login/", "/static/", "/vendor/")
MESSAGE = "Administrators must set up a second factor (TOTP) first: Settings → Two-factor sign-in."


def must_enrol(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if not settings.REQUIRE_ADMIN_TOTP or user is None or not user.is_authenticated:
        return False
    if request.session.get(METHOD) == "oidc" and not settings.OIDC_REQUIRE_TOTP:
        return False
    return role_of(user) >= Role.ADMIN and not totp.has_totp(user)


class RequireAdminTotpMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(OPEN_PATHS) and must_enrol(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=403)
            return redirect(f"{ENROL_PATH}?required=1")
        return self.get_response(request)
