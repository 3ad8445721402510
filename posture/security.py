"""Web surface hardening: security headers and the guard against server-side request forgery."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    """A Content Security Policy with no inline scripts, and the headers Django does not set itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class UnsafeURL(ValueError):
    kind = "denied"  # a CollectionError kind, for a refusal at connect time


class UnresolvedURL(UnsafeURL):
    kind = "unreachable"


BLOCKED = "link-local, metadata, private, loopback or reserved"


def allowed_networks() -> list[ipaddress._BaseNetwork]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.ALLOWED_NETWORKS]


def check_outbound_url(url: str, resolve: Callable[[str], list[str]] | None = None) -> None:
    """Refuse a user-supplied URL whose host is (or resolves to) an internal address.

    Internal means link-local (169.254.0.0/16 with the cloud metadata service,
    fe80::/10), private (RFC 1918, fc00::/7), loopback, unspecified, multicast
    or reserved, unless ``POSTURE_ALLOWED_NETWORKS`` lists it.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(f"{url!r} is not an http(s) URL")
    resolve = resolve or _resolve
    try:
        addresses = resolve(parts.hostname)
    except OSError as exc:
        raise UnresolvedURL(f"{parts.hostname} does not resolve: {exc}") from None
    allowed = allowed_networks()
    for raw in addresses:
        ip = ipaddress.ip_address(raw.split("%", 1)[0])
        if any(ip in net for net in allowed):
            continue
        if (
            ip.is_link_local
            or ip.is_private
            or ip.is_loopback
            or ip.is_unspecified
            or ip.is_multicast
            or ip.is_reserved
        ):
            raise UnsafeURL(
                f"{parts.hostname} resolves to {ip}, a {BLOCKED} address; an admin can allow it with"
                " POSTURE_ALLOWED_NETWORKS"
            )


def _resolve(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
