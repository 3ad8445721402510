"""Sign-in throttling: too many failures lock the user name and the client address for a while.

Failures are counted in the database (shared by every web worker) within a
sliding window; a locked name or address is refused before the password is
even checked, with the same answer as a wrong password.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.utils import timezone

from posture.access.models import LoginFailure


def client_address(request: Any) -> str:
    """The client's address for the lockout and the audit trail: the only place that reads it.

    Behind ``POSTURE_TRUSTED_PROXY_COUNT`` trusted proxies, the entry the outermost of them appended to
    ``POSTURE_TRUSTED_PROXY_HEADER`` (entries further left are the client's to write); else REMOTE_ADDR.
    """
    if request is None:
        return ""
    remote = str(request.META.get("REMOTE_ADDR", ""))[:64]
    header = settings.TRUSTED_PROXY_HEADER
    if not header or not request.META.get(header):
        return remote
    return forwarded_address(str(request.META[header]), settings.TRUSTED_PROXY_COUNT) or remote


def forwarded_address(value: str, hops: int) -> str:
    """The ``hops``-th entry from the right, if there is one and it is an IP address; "" otherwise."""
    entries = value.split(",")
    if len(entries) < hops:
        return ""
    try:
        return str(ipaddress.ip_address(entries[-hops].strip()))
    except ValueError:
        return ""


def locked(username: str, address: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=since)
    if username and recent.filter(username=username.lower()).count() >= settings.LOGIN_MAX_FAILURES_PER_USER:
        return True
    return bool(address) and recent.filter(address=address).count() >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS


class ThrottledModelBackend(ModelBackend):
    """Passwords, unless ``POSTURE_LOCAL_LOGIN`` is off (sign-in through the OpenID provider only).

    A right password does not clear the failures: a sign-in may still need its TOTP code, and wrong
    codes count too. ``posture.access.signin.finish`` clears them once the whole sign-in succeeded.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.LOCAL_LOGIN or locked(username or "", client_address(request)):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs) -> None:
    LoginFailure.objects.create(
        username=str(credentials.get("username", ""))[:150].lower(), address=client_address(request)
    )
