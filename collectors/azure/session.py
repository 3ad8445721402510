"""An authenticated view of Azure Resource Manager: management clients per subscription.

Endpoints: Azure public cloud by default; ``Target.endpoint_url`` points the
clients at a sovereign cloud (Azure Government, Azure China: the token scope
and login authority follow) or any other Resource Manager endpoint. Bearer
tokens travel over https only, with the system's (or ``REQUESTS_CA_BUNDLE``'s)
certificate checks; plain http is allowed to loopback addresses alone, for a
local emulator, by :class:`LoopbackAwareAuthenticationPolicy`. Redirects are
never followed (:class:`RefuseRedirectsPolicy`): an answer from an allowed
endpoint must not lead the token, or the scan, to another host.

Retries, ``Retry-After`` on 429 and paging through ``nextLink`` are the SDKs'
own (azure-core ``RetryPolicy`` and ``ItemPaged``).
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

from collectors.bulk import BulkInventory

PUBLIC_ARM = "https://management.azure.com"
# azure-core RetryPolicy settings: 429 and 5xx are retried, Retry-After is honoured.
RETRY_SETTINGS: dict[str, Any] = {"retry_total": 4, "retry_backoff_factor": 0.8, "retry_backoff_max": 60}
TIMEOUTS: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 60}
# Resource Manager host -> (token scope, login authority host)
CLOUDS = {
    "management.azure.com": ("https://management.azure.com/.default", "login.microsoftonline.com"),
    "management.usgovcloudapi.net": (
        "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
    ),
    "management.chinacloudapi.cn": ("https://management.chinacloudapi.cn/.default", "login.chinacloudapi.cn"),
}


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cloud_for(base_url: str) -> tuple[str, str]:
    """``(token scope, authority host)`` for a Resource Manager URL; unknown hosts: ``{url}/.default``."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host in CLOUDS:
        return CLOUDS[host]
    return f"{base_url.rstrip('/')}/.default", "login.microsoftonline.com"


class LoopbackAwareAuthenticationPolicy(ARMChallengeAuthenticationPolicy):
    """ARM's bearer-token policy, which also lets a token go to ``http://127.0.0.1`` (an emulator).

    Anything else still needs https: azure-core refuses a token over plain http to any other host.
    """

    def on_request(self, request: Any) -> None:
        if is_loopback(request.http_request.url):
            request.context["enforce_https"] = False
        super().on_request(request)


class RefuseRedirectsPolicy(HTTPPolicy):
    """In the place of azure-core's ``RedirectPolicy``: a 3xx answer is an error naming where it pointed."""

    REDIRECT_STATUSES = frozenset({300, 301, 302, 303, 307, 308})

    def send(self, request: PipelineRequest) -> PipelineResponse:
        response = self.next.send(request)
        http_response = response.http_response
        if http_response.status_code in self.REDIRECT_STATUSES:
            location = http_response.headers.get("Location", "")
            raise HttpResponseError(
                message=f"{request.http_request.url} answered {http_response.status_code} with a redirect to"
                f" {location or '(no location)'}; Posture does not follow redirects",
                response=http_response,
            )
        return response


def _client_classes() -> dict[str, Callable[..., Any]]:
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.keyvault import KeyVaultManagementClient
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.network import NetworkManagementClient
    from azure.mgmt.security import SecurityCenter
    from azure.mgmt.storage import StorageManagementClient

    return {
        "aks": ContainerServiceClient,
        "storage": StorageManagementClient,
        "network": NetworkManagementClient,
        "monitor": MonitorManagementClient,
        "authorization": AuthorizationManagementClient,
        "security": SecurityCenter,
        "keyvault": KeyVaultManagementClient,
        "acr": ContainerRegistryManagementClient,
    }


@dataclass
class Subscription:
    subscription_id: str
    display_name: str = ""
    tenant_id: str = ""
    state: str = ""


@dataclass
class AzureSession:
    """Credential, endpoint and retry settings shared by every client; clients cached per subscription."""

    credential: Any
    base_url: str = PUBLIC_ARM
    subscriptions: list[Subscription] = field(default_factory=list)
    locations: frozenset[str] = frozenset()
    retry: dict[str, Any] = field(default_factory=lambda: dict(RETRY_SETTINGS))
    timeouts: dict[str, Any] = field(default_factory=lambda: dict(TIMEOUTS))
    bulk: BulkInventory | None = field(default=None, repr=False)  # Resource Graph (collectors.azure.resource_graph)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def scope(self) -> str:
        return cloud_for(self.base_url)[0]

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "credential_scopes": [self.scope],
            "authentication_policy": LoopbackAwareAuthenticationPolicy(self.credential, self.scope),
            "redirect_policy": RefuseRedirectsPolicy(),
            "user_agent": "posture",
            **self.retry,
            **self.timeouts,
        }

    def client(self, kind: str, subscription_id: str) -> Any:
        """A management client (``aks``, ``storage``, ``network``, ``monitor``, ...) for one subscription."""
        key = (kind, subscription_id)
        with self._lock:
            if key not in self._clients:
                cls = _client_classes()[kind]
                self._clients[key] = cls(self.credential, subscription_id, **self.client_kwargs())
            return self._clients[key]

    def subscription_client(self) -> Any:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(self.credential, **self.client_kwargs())

    def wanted(self, location: str | None) -> bool:
        """Whether a resource in ``location`` is in scope (the account's --regions; global always)."""
        if not self.locations or not location:
            return True
        normalized = normalize_location(location)
        return normalized in ("global", "") or normalized in self.locations


def normalize_location(location: str | None) -> str:
    """``West Europe`` / ``westeurope`` -> ``westeurope``; missing -> ``global``."""
    if not location:
        return "global"
    return location.replace(" ", "").lower()
