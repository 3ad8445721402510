"""Sign-in pages: password (then a TOTP code when set up), and "Sign in with <provider>" (OpenID Connect).

The logic lives in posture.access (oidc, oidc_users, signin, totp); these views only move the browser.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from posture.access import oidc, signin
from posture.access.audit import record
from posture.access.claims import claimed_groups
from posture.access.oidc_users import Refused, sign_in_from_claims
from posture.access.throttle import client_address

FLOW = "posture_oidc_flow"
UPSTREAM = {"provider_unreachable", "provider_error", "unsafe_url"}  # the provider or its set-up failed: 502


def sign_in_context() -> dict[str, Any]:
    return {
        "oidc_enabled": oidc.enabled(),
        "oidc_name": settings.OIDC_PROVIDER_NAME,
        "local_login": settings.LOCAL_LOGIN,
    }


def safe_next(request: HttpRequest, raw: str | None) -> str:
    ok = raw and url_has_allowed_host_and_scheme(raw, {request.get_host()}, request.is_secure())
    return raw if ok else reverse(settings.LOGIN_REDIRECT_URL)


@method_decorator(login_not_required, name="dispatch")
class SignInView(LoginView):
    template_name = "frontend/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), **sign_in_context()}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.LOCAL_LOGIN:
            context = {**sign_in_context(), "problems": [f"Sign in with {settings.OIDC_PROVIDER_NAME}."]}
            return render(request, self.template_name, context, status=403)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if signin.needs_code(user, "password"):
            signin.start_second_step(self.request, user, "password", self.get_success_url())
            return redirect("login-code")
        signin.finish(self.request, user, "password", second_factor=False)
        return HttpResponseRedirect(self.get_success_url())


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def code_step(request: HttpRequest) -> HttpResponse:
    waiting = signin.pending(request)
    if waiting is None:
        return render(
            request,
            "frontend/login.html",
            {**sign_in_context(), "problems": ["Your sign-in took too long; sign in again."]},
            status=400 if request.method == "POST" else 200,
        )
    user, data = waiting
    if request.method == "POST":
        if signin.check_second_step(request, user, request.POST.get("code", "")):
            signin.finish(request, user, data["method"], second_factor=True, detail=data.get("detail"))
            return HttpResponseRedirect(safe_next(request, data.get("next")))
        return render(
            request,
            "frontend/login_code.html",
            {"problems": ["That code is not right (or was used already). Enter the newest code."]},
            status=400,
        )
    return render(request, "frontend/login_code.html", {})


@login_not_required
@never_cache
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        return redirect("login")
    try:
        url, flow = oidc.begin(request.build_absolute_uri(reverse("login-oidc-callback")))
    except oidc.OidcError as exc:
        return refuse(request, exc.reason, str(exc), status=502)
    flow["next"] = safe_next(request, request.GET.get("next"))
    request.session[FLOW] = flow
    return HttpResponseRedirect(url)


@login_not_required
@never_cache
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not oidc.enabled():
        return redirect("login")
    flow = request.session.pop(FLOW, None)  # good for one answer only
    claims: dict[str, Any] = {}
    issuer = oidc.client().issuer
    try:
        claims = oidc.complete(flow, request.GET.dict())
        result = sign_in_from_claims(claims, issuer)
    except oidc.OidcError as exc:
        return refuse(request, exc.reason, str(exc), status=502 if exc.reason in UPSTREAM else 403)
    except Refused as exc:
        subject = {"subject": str(claims.get("sub", ""))[:255], "groups": claims_groups(claims)}
        return refuse(request, exc.reason, str(exc), user=exc.user, detail=subject)
    detail = {"issuer": issuer, "role": result.role, "teams": result.teams, "created": result.created}
    if signin.needs_code(result.user, "oidc"):
        signin.start_second_step(request, result.user, "oidc", flow.get("next", ""), detail)
        return redirect("login-code")
    signin.finish(request, result.user, "oidc", second_factor=False, detail=detail)
    return HttpResponseRedirect(safe_next(request, flow.get("next")))


def claims_groups(claims: dict[str, Any]) -> list[str]:
    return claimed_groups(claims, settings.OIDC_GROUPS_CLAIM)[:50]


def refuse(
    request: HttpRequest,
    reason: str,
    message: str,
    *,
    status: int = 403,
    user: Any = None,
    detail: dict[str, Any] | None = None,
) -> HttpResponse:
    """The refusal page, and its audit entry (the reason, never a code or a token)."""
    record(
        "login.oidc_refused",
        user,
        label=user.get_username() if user is not None else "anonymous",
        detail={"reason": reason, "message": message, "address": client_address(request), **(detail or {})},
    )
    context = {**sign_in_context(), "message": message, "reason": reason}
    return render(request, "frontend/login_refused.html", context, status=status)
