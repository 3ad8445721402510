"""Settings → Two-factor sign-in: set up TOTP (QR code, confirm with a code), remove it, admins reset others'."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from frontend.views.common import page, require_role
from posture.access import totp
from posture.access.audit import record
from posture.access.roles import Role, role_of
from posture.access.signin import METHOD, code_refusal
from posture.access.throttle import client_address


def required_for(request: HttpRequest) -> bool:
    if not settings.REQUIRE_ADMIN_TOTP or role_of(request.user) < Role.ADMIN:
        return False
    return request.session.get(METHOD) != "oidc" or settings.OIDC_REQUIRE_TOTP


@never_cache
def totp_page(request: HttpRequest) -> HttpResponse:
    device = totp.confirmed_device(request.user)
    context = {
        "device": device,
        "required": required_for(request),
        "oidc_session": request.session.get(METHOD) == "oidc",
    }
    if device is None:
        pending = totp.pending_device(request.user)
        if pending is None or request.GET.get("restart"):
            pending = totp.start_enrolment(request.user)
        uri = totp.provisioning_uri(pending)
        context.update(otpauth_uri=uri, qr=totp.qr_data_uri(uri))
    return page(request, "frontend/totp.html", context)


@require_POST
def totp_confirm(request: HttpRequest) -> HttpResponse:
    pending = totp.pending_device(request.user)
    if pending is None:
        messages.error(request, "Nothing to confirm: start the set-up again.")
        return redirect("settings-totp")
    if not totp.confirm(pending, request.POST.get("code", "")):
        messages.error(request, "That code is not right. Check the phone's clock and enter the newest code.")
        return redirect("settings-totp")
    record("totp.enrol", request.user, user=request.user)
    messages.success(request, "Two-factor sign-in is on: the next sign-in asks for a code.")
    return redirect("settings-totp")


REMOVAL_REFUSED = {
    "wrong_code": "That code is not right: the second factor stays on.",
    "locked": "Too many wrong codes or sign-ins: wait a while before trying again. The second factor stays on.",
}


def audit_removal(request: HttpRequest, action: str, **detail: str) -> None:
    record(action, request.user, user=request.user, detail={"address": client_address(request), **detail})


@require_POST
def totp_remove(request: HttpRequest) -> HttpResponse:
    device = totp.confirmed_device(request.user)
    if device is None:
        return redirect("settings-totp")
    if required_for(request):
        messages.error(request, "Administrators must keep a second factor here; an admin can reset it for you.")
        return redirect("settings-totp")
    refusal = code_refusal(request, request.user, device, request.POST.get("code", ""))
    if refusal:
        audit_removal(request, "totp.remove_failed", reason=refusal)
        messages.error(request, REMOVAL_REFUSED[refusal])
        return redirect("settings-totp")
    totp.reset(request.user)
    audit_removal(request, "totp.remove")
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("settings-totp")


@require_POST
@require_role(Role.ADMIN)
def totp_reset(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    if user == request.user:
        messages.error(request, "Reset your own second factor from Two-factor sign-in, with a code.")
        return redirect("/settings/#users")
    if totp.reset(user):
        record("totp.reset", user, user=request.user, detail={"by": "admin"})
        messages.success(request, f"{user.username}'s second factor was removed; they set up a new one.")
    else:
        messages.info(request, f"{user.username} had no second factor.")
    return redirect("/settings/#users")
