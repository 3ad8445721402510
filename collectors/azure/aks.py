"""AKS: managed clusters, their agent pools, and the clusters' diagnostic settings (kube-audit export)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.common import map_details, per_subscription, record, resource_group, secondary, to_json
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def diagnostic_settings(session: AzureSession, subscription_id: str, resource_id: str) -> list[dict[str, Any]]:
    """The diagnostic settings of one resource (Microsoft.Insights, azure-mgmt-monitor)."""
    monitor = session.client("monitor", subscription_id)
    return [to_json(s) for s in monitor.diagnostic_settings.list(resource_uri=resource_id)]


def _cluster(session: AzureSession, sub: Subscription, config: dict[str, Any]) -> list[ResourceRecord]:
    """One cluster's record and its agent pools' records (the pools' own listing, else the cluster's profiles)."""
    client = session.client("aks", sub.subscription_id)
    errors: dict[str, str] = {}
    rg, name = resource_group(config["id"]), config["name"]
    pools = secondary(errors, "agentPools", lambda: [to_json(p) for p in client.agent_pools.list(rg, name)])
    if pools is None:
        pools = [
            {"id": f"{config['id']}/agentPools/{p.get('name')}", "name": p.get("name"), "properties": p}
            for p in (config.get("properties") or {}).get("agentPoolProfiles") or []
        ]
    settings = secondary(
        errors, "diagnosticSettings", lambda: diagnostic_settings(session, sub.subscription_id, config["id"])
    )
    extra: dict[str, Any] = {"_diagnosticSettings": settings}
    if errors:
        extra["_errors"] = errors
    props = config.get("properties") or {}
    cluster_view = {
        "id": config["id"],
        "name": config.get("name"),
        "kubernetesVersion": props.get("kubernetesVersion"),
        "currentKubernetesVersion": props.get("currentKubernetesVersion"),
    }
    return [
        record("aks", "managed_cluster", config, **extra),
        *(record("aks", "agent_pool", p, location=config.get("location"), _cluster=cluster_view) for p in pools),
    ]


def _cluster_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("aks", sub.subscription_id)
    clusters = listed(session, sub, "Microsoft.ContainerService/managedClusters", client.managed_clusters.list)
    for records in map_details(lambda config: _cluster(session, sub, config), clusters):
        yield from records


@REGISTRY.collector(
    "azure",
    "aks",
    regional=False,
    permissions=(
        "Microsoft.ContainerService/managedClusters/read",
        "Microsoft.ContainerService/managedClusters/agentPools/read",
        "Microsoft.Insights/diagnosticSettings/read",
    ),
)
def collect_aks(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _cluster_records(session, sub))
