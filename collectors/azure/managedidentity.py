"""User-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities, ListBySubscription,
api-version 2023-01-31): one ``azure.managedidentity.user_assigned`` record each, its ``properties.clientId``
(what an AKS workload identity's ``azure.workload.identity/client-id`` names) and ``properties.principalId``
(what a role assignment names), for the exposure paths.

No management SDK is installed for this provider (azure-mgmt-msi): the list is read as plain ARM REST through a
management client's own pipeline (the session's token, retries, timeouts and refusal of redirects). A
``nextLink`` is followed only on the Resource Manager endpoint the session talks to: the bearer token goes
nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from azure.core.rest import HttpRequest

from collectors.azure.common import per_subscription, record, scrub
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API_VERSION = "2023-01-31"
MAX_PAGES = 1000


def next_page(session: AzureSession, link: Any) -> str | None:
    """The next page's URL, or None at the end; a link off the session's endpoint is an error."""
    if not link:
        return None
    here, there = urlsplit(session.base_url), urlsplit(str(link))
    if (there.scheme, there.netloc) != (here.scheme, here.netloc):
        raise ValueError(f"userAssignedIdentities nextLink points off the Resource Manager endpoint ({there.netloc})")
    return str(link)


def list_identities(session: AzureSession, sub: Subscription) -> list[dict[str, Any]]:
    client = session.client("network", sub.subscription_id)  # any management client: its pipeline
    url: str | None = (
        f"{session.base_url.rstrip('/')}/subscriptions/{sub.subscription_id}"
        f"/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version={API_VERSION}"
    )
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return found
        response = client.send_request(HttpRequest("GET", url))
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise ValueError("userAssignedIdentities answered without a value list")
        found += [scrub(i) for i in body["value"] if isinstance(i, dict) and isinstance(i.get("id"), str)]
        url = next_page(session, body.get("nextLink"))
    raise ValueError(f"userAssignedIdentities kept paging past {MAX_PAGES} pages")


def _identity_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    for identity in list_identities(session, sub):
        yield record("managedidentity", "user_assigned", identity)


@REGISTRY.collector(
    "azure",
    "managedidentity",
    regional=False,
    permissions=("Microsoft.ManagedIdentity/userAssignedIdentities/read",),
)
def collect_user_assigned_identities(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _identity_records(session, sub))
