"""Which registries the demo's AKS kubelet identities may use: the role assignments ``az aks update --attach-acr``
makes (AcrPull on a registry, to the cluster's kubelet identity), and one made by hand that also pushes.

- ``aks-prod``'s kubelet identity holds AcrPull on ``acrprod``;
- ``aks-legacy`` gets a kubelet identity of its own (the estate's clusters otherwise share one object id), which
  holds AcrPush on ``acrlegacy``.
"""

from __future__ import annotations

from typing import Any

from emulators.azure import estate_governance as gov

ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
ACR_PUSH = "8311e382-0749-4cb8-b61a-304f252e45ec"
LEGACY_KUBELET = "6a6a6a6a-7777-4888-9999-00000000c0de"


def _one(resources: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(r for r in resources if str(r.get("id", "")).lower().endswith(suffix.lower()))


def kubelet_registry_access(resources: list[dict[str, Any]]) -> None:
    """Add the kubelet identities' registry role assignments (after the clusters and registries are in)."""
    prod = _one(resources, "/managedClusters/aks-prod")
    legacy = _one(resources, "/managedClusters/aks-legacy")
    legacy["properties"]["identityProfile"]["kubeletidentity"]["objectId"] = LEGACY_KUBELET
    prod_kubelet = prod["properties"]["identityProfile"]["kubeletidentity"]["objectId"]
    for guid, registry, role, principal in (
        ("0b1c0000-0000-4000-8000-0000000ac001", "/registries/acrprod", ACR_PULL, prod_kubelet),
        ("0b1c0000-0000-4000-8000-0000000ac002", "/registries/acrlegacy", ACR_PUSH, LEGACY_KUBELET),
    ):
        scope = _one(resources, registry)["id"]
        resources.append(gov.role_assignment(scope, guid, role, principal, "ServicePrincipal"))
