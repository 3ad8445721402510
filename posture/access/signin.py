"""The steps of a web sign-in: password or OpenID Connect first, then a TOTP code when the user has one.

Between the two steps the user is not signed in: the session holds only who passed the first step,
how, and when (five minutes to enter the code). A wrong code counts as a failed sign-in, so the
lockout of :mod:`posture.access.throttle` covers codes as it covers passwords. Failures are cleared
only when a sign-in completes. Every completed sign-in is an audit entry.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from posture.access import totp
from posture.access.audit import record
from posture.access.models import LoginFailure, TotpDevice
from posture.access.throttle import client_address, locked

PENDING = "posture_pending_second_factor"
METHOD = "posture_sign_in_method"  # "password" or "oidc", for the rest of the session
PENDING_SECONDS = 300
BACKEND = "posture.access.throttle.ThrottledModelBackend"


def needs_code(user: Any, method: str) -> bool:
    """A second step after this first one: TOTP is set up (after OIDC only if the setting asks for it)."""
    if method == "oidc" and not settings.OIDC_REQUIRE_TOTP:
        return False
    return totp.has_totp(user)


def start_second_step(request: HttpRequest, user: Any, method: str, next_url: str, detail: dict | None = None) -> None:
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "method": method,
        "next": next_url,
        "at": time.time(),
        "detail": detail or {},
    }


def pending(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    """The user waiting for their code and the step's data; None when there is none or it is too old."""
    data = request.session.get(PENDING)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    return (user, data) if user is not None else None


def code_refusal(request: HttpRequest, user: Any, device: TotpDevice, code: str) -> str:
    """Why a TOTP code is refused: "locked" (checked before the code) or "wrong_code"; "" when it is right.

    A refused code is a failed sign-in, so the sign-in lockout covers every place that takes a code.
    """
    if locked(user.get_username(), client_address(request)):
        refusal = "locked"
    elif totp.check_code(device.pk, code):
        return ""
    else:
        refusal = "wrong_code"
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    return refusal


def check_second_step(request: HttpRequest, user: Any, code: str) -> bool:
    """The code is right, unused and the user not locked out; a wrong one is a failed sign-in."""
    device = totp.confirmed_device(user)
    if device is None:
        return True  # reset by an admin meanwhile: the first step stands alone
    if not code_refusal(request, user, device, code):
        return True
    record("login.totp_failed", user, label=user.get_username(), detail={"address": client_address(request)[:64]})
    return False


def finish(request: HttpRequest, user: Any, method: str, second_factor: bool, detail: dict | None = None) -> None:
    """Sign the user in (a new session key), remember how, clear their failures, audit it."""
    login(request, user, backend=BACKEND)
    request.session.pop(PENDING, None)
    request.session[METHOD] = method
    LoginFailure.objects.filter(username=user.get_username().lower()).delete()
    record(
        "login",
        user,
        user=user,
        detail={"method": method, "second_factor": second_factor, **(detail or {})},
    )
