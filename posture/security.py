"""Web surface hardening: security headers and the guard against server-side request forgery."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from collectors.failures import StatedError

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


class UnsafeURL(ValueError, StatedError):
    kind = "denied"  # a CollectionError kind, for a refusal at connect time


class UnresolvedURL(UnsafeURL):
    kind = "unreachable"


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
BLOCKED = "link-local, metadata, private, shared, loopback, reserved or multicast"
# Not global, whatever this Python's ``is_global`` says (its tables differ between releases).
NOT_GLOBAL = (ipaddress.ip_network("192.0.0.0/24"), ipaddress.ip_network("64:ff9b:1::/48"))
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def allowed_networks() -> list[ipaddress._BaseNetwork]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.ALLOWED_NETWORKS]


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: 6to4 (2002::/16), Teredo, NAT64 (64:ff9b::/96)."""
    if ip.version == 4:
        return []
    found = [ip.sixtofour] if ip.sixtofour else []
    found += list(ip.teredo or ())
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_internal(ip: IPAddress) -> bool:
    """Anything not globally routable (RFC 1918, 100.64.0.0/10, link-local, loopback, ...), reserved or multicast."""
    return not ip.is_global or ip.is_reserved or ip.is_multicast or any(ip in net for net in NOT_GLOBAL)


def refused_address(ip: IPAddress, allowed: list[ipaddress._BaseNetwork]) -> IPAddress | None:
    """The address that makes ``ip`` internal (itself or an IPv4 it embeds), or None if it may be called.

    An IPv4-mapped address (``::ffff:a.b.c.d``) is its IPv4 address; an address in an allowed network passes.
    """
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if in_allowed_networks(ip, allowed):
        return None
    for candidate in (ip, *embedded_ipv4(ip)):
        if is_internal(candidate) and not any(candidate in net for net in allowed):
            return candidate
    return None


def in_allowed_networks(ip: IPAddress, allowed: list[ipaddress._BaseNetwork]) -> bool:
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in allowed)


def check_outbound_url(
    url: str, resolve: Callable[[str], list[str]] | None = None, *, carries_secrets: bool = False
) -> None:
    """Refuse a user-supplied URL whose host is (or resolves to) an internal address.

    Internal means anything that is not a global (publicly routable) address: link-local
    (169.254.0.0/16 with the cloud metadata service, fe80::/10), private (RFC 1918, fc00::/7),
    shared (100.64.0.0/10, with Alibaba Cloud's metadata service), 192.0.0.0/24, loopback,
    unspecified, documentation, reserved, plus multicast; and IPv6 addresses embedding such an
    IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64). ``POSTURE_ALLOWED_NETWORKS`` allows listed networks.

    ``carries_secrets`` (a token, a signature): plain ``http://`` only to the allowed networks, never in
    clear across other networks.
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
        refused = refused_address(ip, allowed)
        if refused is not None:
            embeds = f" (which embeds {refused})" if refused not in (ip, getattr(ip, "ipv4_mapped", None)) else ""
            raise UnsafeURL(
                f"{parts.hostname} resolves to {ip}{embeds}, which is not a public address ({BLOCKED});"
                " an admin can allow it with POSTURE_ALLOWED_NETWORKS"
            )
        if carries_secrets and parts.scheme == "http" and not in_allowed_networks(ip, allowed):
            raise UnsafeURL(
                f"{url} is plain http: the token or signature would travel in clear; use https"
                " (plain http is accepted only to networks listed in POSTURE_ALLOWED_NETWORKS)"
            )


def _resolve(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
