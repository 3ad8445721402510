"""Azure Resource Graph as bulk inventory: every resource of the listed types, in every subscription, in one query.

``POST {arm}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01`` with the account's
subscriptions and a ``Resources | where type in~ (...)`` query answers ``{totalRecords, count, data,
$skipToken}``, paged by ``$skipToken`` (up to 1,000 rows a page, 1,000 subscriptions a request). A row
is the resource as Resource Manager describes it, plus Resource Graph's own columns (``resourceGroup``,
``subscriptionId``, ``tenantId``), empty columns as null or "" and ``type`` in lower case; :func:`arm_shape`
turns it back into the per-service listing's JSON and :func:`collectors.azure.inventory.one_shape` drops what
only one source has (the top-level ``etag``, empty envelope fields), so a record reads the same either way.

The collectors ask :func:`collectors.azure.inventory.listed` for one type in one subscription; it answers from
Resource Graph and falls back to the collector's own listing when Resource Graph is unavailable (see
:mod:`collectors.bulk`). What Resource Graph does not carry (blob containers, agent pools, flow logs, diagnostic
settings) is still read per resource by the collectors. This module imports no collector module: the provider
builds the inventory when it connects.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from collectors.bulk import BulkInventory, inventory_for

if TYPE_CHECKING:
    from collectors.azure.session import AzureSession

API_VERSION = "2022-10-01"
PAGE_ROWS = 1000
SUBSCRIPTIONS_PER_QUERY = 1000  # Resource Graph's limit per request
# lower-case type -> the type as Resource Manager's own listing spells it
TYPES = {
    "microsoft.compute/virtualmachines": "Microsoft.Compute/virtualMachines",
    "microsoft.containerregistry/registries": "Microsoft.ContainerRegistry/registries",
    "microsoft.containerservice/managedclusters": "Microsoft.ContainerService/ManagedClusters",
    "microsoft.keyvault/vaults": "Microsoft.KeyVault/vaults",
    "microsoft.network/applicationgateways": "Microsoft.Network/applicationGateways",
    "microsoft.network/applicationgatewaywebapplicationfirewallpolicies": (
        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"
    ),
    "microsoft.network/bastionhosts": "Microsoft.Network/bastionHosts",
    "microsoft.network/networkinterfaces": "Microsoft.Network/networkInterfaces",
    "microsoft.network/networksecuritygroups": "Microsoft.Network/networkSecurityGroups",
    "microsoft.network/networkwatchers": "Microsoft.Network/networkWatchers",
    "microsoft.network/virtualnetworks": "Microsoft.Network/virtualNetworks",
    "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts",
}
GRAPH_ONLY = ("resourceGroup", "subscriptionId", "tenantId")  # Resource Graph's columns, not the resource's
ENVELOPE = ("kind", "managedBy", "sku", "plan", "identity", "zones", "extendedLocation", "tags")


def query_text(types: Iterable[str]) -> str:
    names = ", ".join(f"'{t}'" for t in sorted(types))
    return f"Resources | where type in~ ({names})"


def arm_shape(row: dict[str, Any]) -> dict[str, Any]:
    """A Resource Graph row as Resource Manager's listing gives the resource (secrets are scrubbed by ``listed``)."""
    item = {k: v for k, v in row.items() if k not in GRAPH_ONLY}
    item["type"] = TYPES.get(str(row.get("type", "")).lower(), row.get("type"))
    return item


def _rows(session: AzureSession) -> Iterator[dict[str, Any]]:
    """Every row of the query, page after page, for every batch of subscriptions."""
    from azure.core.rest import HttpRequest

    client = session.subscription_client()
    ids = [s.subscription_id for s in session.subscriptions]
    url = f"{session.base_url}/providers/Microsoft.ResourceGraph/resources?api-version={API_VERSION}"
    for start in range(0, len(ids), SUBSCRIPTIONS_PER_QUERY):
        body: dict[str, Any] = {
            "subscriptions": ids[start : start + SUBSCRIPTIONS_PER_QUERY],
            "query": query_text(TYPES),
            "options": {"$top": PAGE_ROWS, "resultFormat": "objectArray"},
        }
        seen: set[str] = set()
        while True:
            response = client.send_request(HttpRequest("POST", url, json=body))
            response.raise_for_status()
            page = json.loads(response.text())
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise ValueError("Resource Graph answered without a data list")
            yield from (row for row in page["data"] if isinstance(row, dict))
            token = page.get("$skipToken")
            if not token or not isinstance(token, str) or token in seen:
                break
            seen.add(token)
            body["options"] = {**body["options"], "$skipToken": token}


def _query(session: AzureSession) -> Callable[[str], Iterator[tuple[str, str, dict[str, Any]]]]:
    def query(_scope: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for row in _rows(session):
            rid, rtype, sub = row.get("id"), str(row.get("type", "")).lower(), row.get("subscriptionId")
            if isinstance(rid, str) and rid.startswith("/subscriptions/") and isinstance(sub, str):
                yield sub.lower(), rtype, arm_shape(row)

    return query


def resource_graph(session: AzureSession, classify: Callable[[BaseException], str]) -> BulkInventory | None:
    """The account's Resource Graph inventory, one query for every subscription (None when
    POSTURE_BULK_INVENTORY=off): its answer is complete for each subscription it was asked about."""
    subscriptions = [s.subscription_id.lower() for s in session.subscriptions]
    return inventory_for("azure", _query(session), TYPES, classify, groups=lambda _scope: subscriptions)
