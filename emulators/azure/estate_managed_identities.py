"""User-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities, api-version 2023-01-31) in
the shape ListBySubscription answers: ``id``, ``name``, ``type``, ``location``, ``tags`` and ``properties`` with
``tenantId``, ``principalId`` and ``clientId``.

The demo subscription holds the kubelet identities AKS creates in each cluster's resource group (named
``<cluster>-agentpool``, the ids its ``identityProfile.kubeletidentity`` names) and one identity made for AKS
workload identity, ``orders-api``, that no role assignment names (it reaches nothing: no path).
"""

from __future__ import annotations

from typing import Any

from emulators.azure import estate as e

ORDERS_API_CLIENT = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"


def user_assigned_identity(
    sub: str, rg: str, name: str, client_id: str, principal_id: str, location: str = "westeurope"
) -> dict[str, Any]:
    return {
        "id": f"{e.rg_id(sub, rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
        "name": name,
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
        "location": location,
        "tags": {},
        "properties": {"tenantId": e.TENANT, "principalId": principal_id, "clientId": client_id},
    }


def add_identities(resources: list[dict[str, Any]]) -> None:
    """Each cluster's kubelet identity (as its profile names it; one per client id), and ``orders-api``."""
    seen: set[str] = set()
    for cluster in [
        r for r in resources if str(r.get("type", "")).lower() == "microsoft.containerservice/managedclusters"
    ]:
        kubelet = ((cluster.get("properties") or {}).get("identityProfile") or {}).get("kubeletidentity") or {}
        if kubelet.get("resourceId") and kubelet.get("clientId") and kubelet["clientId"] not in seen:
            seen.add(kubelet["clientId"])
            rg = kubelet["resourceId"].split("/")[4]
            name = kubelet["resourceId"].rsplit("/", 1)[-1]
            sub = kubelet["resourceId"].split("/")[2]
            location = str(cluster.get("location") or "westeurope")
            resources.append(
                user_assigned_identity(sub, rg, name, kubelet["clientId"], kubelet.get("objectId", ""), location)
            )
    resources.append(
        user_assigned_identity(
            e.SUBSCRIPTION, "platform", "orders-api", ORDERS_API_CLIENT, "5e6f7a8b-1c2d-4e3f-9a0b-6c7d8e9f0a1b"
        )
    )
