"""An authenticated view of Azure Resource Manager: management clients per subscription.

Endpoints: Azure public cloud by default; ``Target.endpoint_url`` points the
clients at a sovereign cloud (Azure Government, Azure China: the token scope
and login authority follow) or any other Resource Manager endpoint. Two more
planes have their own hosts and token audiences (:data:`DATA_PLANES`): Key Vault's
data plane (``https://{vault}.vault.azure.net``, audience ``https://vault.azure.net``)
and Microsoft Graph (``https://graph.microsoft.com``). An endpoint override that is
no known cloud serves them too, beside Resource Manager on the same base URL:
``{base}/keyvault/{vault}`` and ``{base}/graph`` (an emulator, a proxy). Bearer
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
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

from collectors.azure.credentials import StaticTokenCredential
from collectors.bulk import BulkInventory
from collectors.failures import StatedError

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


# Resource Manager host -> (Key Vault DNS suffix, Microsoft Graph root): each plane's token audience is its host
DATA_PLANES = {
    "management.azure.com": ("vault.azure.net", "https://graph.microsoft.com"),
    "management.usgovcloudapi.net": ("vault.usgovcloudapi.net", "https://graph.microsoft.us"),
    "management.chinacloudapi.cn": ("vault.azure.cn", "https://microsoftgraph.chinacloudapi.cn"),
}
VAULT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{1,22})[A-Za-z0-9]$")  # Key Vault's own naming rule
MAX_PAGES = 1000  # a nextLink chain longer than this is an endless loop, not a listing


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


class UnexpectedNextLink(ValueError, StatedError):
    """A page's nextLink pointed off the host of the listing: not followed (the token must not go there)."""

    def __init__(self) -> None:
        super().__init__("a page of the listing pointed its next page to another host; Posture did not follow it")


class TooManyPages(ValueError, StatedError):
    def __init__(self) -> None:
        super().__init__(f"the listing went on past {MAX_PAGES} pages; Posture stopped reading it")


class WrongAudience(PermissionError, StatedError):
    """A pre-issued token (for Resource Manager) refused by a plane that takes tokens of another audience."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"the pre-issued access token was refused (HTTP 401): this API takes tokens for"
            f" {scope.removesuffix('/.default')}, and a Resource Manager token does not reach it; scan with a service"
            " principal or managed identity to read it"
        )


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in: Key Vault's nextLink names ``:443``."""
    split = urlsplit(url)
    scheme = split.scheme.lower()
    return scheme, (split.hostname or "").lower(), split.port or {"https": 443, "http": 80}.get(scheme)


class RestClient:
    """Plain REST calls to one plane (Resource Manager, a Key Vault data plane, Microsoft Graph) through
    azure-core's pipeline: the same retry, redirect and bearer-token policies as the management SDKs,
    with the plane's own token audience. Failures raise azure-core's exceptions, as the SDKs do.
    """

    def __init__(self, session: AzureSession, scope: str) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import HeadersPolicy, RetryPolicy, UserAgentPolicy

        self.timeouts = dict(session.timeouts)
        # a pre-issued token has one audience: a 401 from another plane is that, not a missing permission
        self.other_audience = (
            scope if isinstance(session.credential, StaticTokenCredential) and scope != session.scope else ""
        )
        policies = [
            HeadersPolicy({"Accept": "application/json"}),
            UserAgentPolicy("posture"),
            RetryPolicy(**session.retry),
            LoopbackAwareAuthenticationPolicy(session.credential, scope),
            RefuseRedirectsPolicy(),
        ]
        self._client: Any = PipelineClient(base_url="", policies=policies)

    def get(self, url: str, params: dict[str, str] | None = None) -> Any:
        """The JSON body of ``GET url``; HttpResponseError (ClientAuthenticationError on 401,
        ResourceNotFoundError on 404) for any other status than 200."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            ResourceNotFoundError,
            map_error,
        )
        from azure.core.rest import HttpRequest

        response = self._client.send_request(HttpRequest("GET", url, params=params), **self.timeouts)
        if response.status_code == 401 and self.other_audience:
            raise WrongAudience(self.other_audience)
        if response.status_code != 200:
            map_error(response.status_code, response, {401: ClientAuthenticationError, 404: ResourceNotFoundError})
            raise HttpResponseError(response=response)
        try:
            return response.json()
        except ValueError as exc:
            raise DecodeError(message="the answer is not JSON", response=response) from exc

    def list(self, url: str, params: dict[str, str] | None = None, next_key: str = "nextLink") -> list[Any]:
        """Every item of a paged listing (``{"value": [...], next_key: url}``), pages followed on the same host."""
        from azure.core.exceptions import DecodeError

        origin = _origin(url)
        items: list[Any] = []
        page_url = url
        for _ in range(MAX_PAGES):
            body = self.get(page_url, params if page_url == url else None)
            if not isinstance(body, dict):
                raise DecodeError("the listing's answer is not a JSON object")
            items.extend(v for v in body.get("value") or [] if isinstance(v, dict))
            following = body.get(next_key)
            if following and _origin(str(following)) != origin:
                raise UnexpectedNextLink()
            if not following:
                return items
            page_url = str(following)
        raise TooManyPages()


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

    def rest(self, plane: str) -> RestClient:
        """A :class:`RestClient` for ``arm``, ``vault`` (every Key Vault data plane) or ``graph``."""
        scopes = {"arm": self.scope, "vault": self.vault_scope, "graph": self.graph_scope}
        key = ("rest", plane)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = RestClient(self, scopes[plane])
            return self._clients[key]

    @property
    def _planes(self) -> tuple[str, str] | None:
        """(Key Vault DNS suffix, Graph root) of a known cloud; None for another endpoint (an emulator)."""
        return DATA_PLANES.get((urlsplit(self.base_url).hostname or "").lower())

    @property
    def vault_scope(self) -> str:
        suffix = self._planes[0] if self._planes else DATA_PLANES["management.azure.com"][0]
        return f"https://{suffix}/.default"

    @property
    def graph_root(self) -> str:
        """Microsoft Graph's root URL (without the version): the cloud's, or ``{base}/graph``."""
        return self._planes[1] if self._planes else f"{self.base_url.rstrip('/')}/graph"

    @property
    def graph_scope(self) -> str:
        root = self._planes[1] if self._planes else DATA_PLANES["management.azure.com"][1]
        return f"{root}/.default"

    def vault_url(self, name: str) -> str:
        """The data plane of the vault called ``name``: built from the name, never from an answer's vaultUri,
        so that the vault token goes to the cloud's Key Vault hosts (or the endpoint override) alone."""
        if not VAULT_NAME.match(name or ""):
            raise ValueError(f"{name!r} is not a Key Vault name")
        if self._planes:
            return f"https://{name.lower()}.{self._planes[0]}"
        return f"{self.base_url.rstrip('/')}/keyvault/{name.lower()}"

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
