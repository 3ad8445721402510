"""Reaching inside a managed cluster (EKS, AKS, GKE) with the cloud account's own identity.

A ``kubernetes`` account added ``--via`` a cloud account carries no credentials
of its own: at connect time the Kubernetes provider gets a Target whose
credentials are ``{"via": <the cloud account's Target fields>, "cluster": REF}``
and calls :func:`cluster_access`, which asks the cloud provider's package
(``collectors.aws.eks_auth``, ``collectors.azure.aks_auth``,
``collectors.gcp.gke_auth``) for the API server, its CA and a bearer-token
source. Tokens live in memory only, are minted on demand and re-minted before
they expire; they are never logged nor stored.

Cluster references, one form per cloud:

- EKS: the cluster ARN ``arn:aws:eks:REGION:ACCOUNT:cluster/NAME``;
- AKS: the resource id ``/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/N``;
- GKE: ``projects/P/locations/L/clusters/N``.
"""

from __future__ import annotations

import importlib
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from collectors.failures import StatedError, describe, detail
from collectors.records import Target
from collectors.redact import credential_values

# cloud provider -> (platform label, module with ``cluster_access(cloud, ref)``, inventory record type)
PLATFORMS: dict[str, tuple[str, str, str]] = {
    "aws": ("eks", "collectors.aws.eks_auth", "aws.eks.cluster"),
    "azure": ("aks", "collectors.azure.aks_auth", "azure.aks.managed_cluster"),
    "gcp": ("gke", "collectors.gcp.gke_auth", "gcp.container.cluster"),
}
REF_FORMS = {
    "aws": (
        re.compile(
            r"^arn:aws[a-z-]*:eks:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):cluster/(?P<name>[A-Za-z0-9][\w-]{0,99})$"
        ),
        "an EKS cluster ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME)",
    ),
    "azure": (
        re.compile(
            r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[\w.()-]{1,90})"
            r"/providers/Microsoft\.ContainerService/managedClusters/(?P<name>[\w-]{1,63})$",
            re.IGNORECASE,
        ),
        "an AKS resource id (/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.ContainerService/"
        "managedClusters/NAME)",
    ),
    "gcp": (
        re.compile(
            r"^projects/(?P<project>[a-z][a-z0-9-]{4,28}[a-z0-9])/locations/(?P<location>[a-z0-9-]+)/clusters/(?P<name>[a-z][a-z0-9-]{0,39})$"
        ),
        "a GKE cluster name (projects/PROJECT/locations/LOCATION/clusters/NAME)",
    ),
}
GKE_FULL_NAME = "//container.googleapis.com/"
log = logging.getLogger(__name__)


class ClusterRefError(ValueError, StatedError):
    """A cluster reference that is not of its cloud's form."""


class ClusterAccessError(RuntimeError, StatedError):
    """The cloud would not say how to reach the cluster; ``kind`` is a CollectionError kind (``denied`` ...)."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.kind = kind


def parse_cluster_ref(provider: str, ref: str) -> dict[str, str]:
    """The parts of a cluster reference (``name``, ``region`` ...); :class:`ClusterRefError` if malformed."""
    if provider not in REF_FORMS:
        raise ClusterRefError(f"{provider} accounts have no managed clusters to scan (aws, azure or gcp do)")
    pattern, form = REF_FORMS[provider]
    text = ref.strip()
    if provider == "gcp" and text.startswith(GKE_FULL_NAME):
        text = text[len(GKE_FULL_NAME) :]
    match = pattern.match(text)
    if match is None:
        raise ClusterRefError(f"--cluster {ref!r} is not {form}")
    return match.groupdict()


def cluster_ref_of_uid(provider: str, uid: str) -> str:
    """The reference a user types for an inventory uid (a GKE full resource name loses its host part)."""
    return uid[len(GKE_FULL_NAME) :] if provider == "gcp" and uid.startswith(GKE_FULL_NAME) else uid


class CachedToken:
    """A bearer token minted by ``mint() -> (token, expires_at epoch seconds)``, re-minted ``margin`` s early.

    Thread-safe: the Kubernetes client asks for the token before every request, from every collector thread.
    """

    def __init__(self, mint: Callable[[], tuple[str, float]], margin: float = 60.0) -> None:
        self._mint = mint
        self._margin = margin
        self._lock = threading.Lock()
        self._token = ""
        self._expires_at = 0.0

    def __call__(self) -> str:
        with self._lock:
            if not self._token or time.time() >= self._expires_at - self._margin:
                self._token, self._expires_at = self._mint()
            return self._token

    def __repr__(self) -> str:  # never the token itself
        return f"CachedToken(expires_at={self._expires_at:.0f})"


@dataclass(frozen=True)
class ClusterAccess:
    """How to reach one cluster's API server: its URL and CA, and either a token source or a kubeconfig.

    ``kubeconfig`` is the cloud's own (AKS's user credential, with its token or client certificate);
    ``token`` is called for a fresh bearer token before each request.
    """

    server: str
    ca_data: str = ""  # base64 of the PEM CA bundle, as a kubeconfig's certificate-authority-data
    token: Callable[[], str] | None = field(default=None, repr=False)
    kubeconfig: dict[str, Any] | None = field(default=None, repr=False)
    platform: str = ""


def check_cluster_server(server: str, resolve: Callable[[str], list[str]] | None = None) -> None:
    """Refuse an API server address no cluster has: link-local (the metadata service), multicast, reserved.

    Private and loopback addresses stay allowed: a private cluster's endpoint is a VPC address. The cloud
    reports the address, but a token must not go to the metadata service whatever the answer said.
    """
    parts = urlsplit(server)
    if parts.scheme != "https" or not parts.hostname:
        raise ClusterAccessError(f"the cluster's API server {server!r} is not an https URL", "invalid_response")
    try:
        addresses = (resolve or _resolve)(parts.hostname)
    except OSError:
        return  # the client reports it as unreachable
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved:
            raise ClusterAccessError(
                f"the cluster's API server {parts.hostname} is at {address}, where no cluster answers "
                "(link-local, multicast or reserved)",
                "invalid_response",
            )


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)})


def cloud_target(credentials: dict[str, Any]) -> Target:
    """The cloud account a ``--via`` cluster borrows its identity from, as the Django side resolved it."""
    via = credentials.get("via")
    if not isinstance(via, dict) or not via.get("provider"):
        raise ClusterAccessError("the cluster's cloud account is missing", "denied")
    return Target(
        provider=str(via["provider"]),
        name=str(via.get("name") or ""),
        external_id=str(via.get("external_id") or ""),
        regions=tuple(via.get("regions") or ()),
        endpoint_url=str(via.get("endpoint_url") or ""),
        credentials=dict(via.get("credentials") or {}),
    )


def cluster_access(cloud: Target, ref: str) -> ClusterAccess:
    """Ask the cloud for the cluster's endpoint, CA and a token source; errors become ClusterAccessError."""
    from collectors import REGISTRY

    parse_cluster_ref(cloud.provider, ref)
    platform, module_name, _ = PLATFORMS[cloud.provider]
    module = importlib.import_module(module_name)
    try:
        access = module.cluster_access(cloud, ref)
    except ClusterAccessError:
        raise
    except Exception as exc:
        kind = REGISTRY.provider(cloud.provider).classify_error(exc)
        log.debug(
            "access to %s cluster %s failed — detail: %s",
            platform,
            ref,
            detail(exc, credential_values(cloud.credentials)),
        )
        raise ClusterAccessError(
            f"{cloud.name or cloud.provider} could not get access to {platform.upper()} cluster {ref}: "
            f"{describe(exc, kind)}",
            kind,
        ) from None
    check_cluster_server(access.server)
    return access
