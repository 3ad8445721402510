"""GKE: clusters and their node pools (container.projects.locations.clusters.list)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp import redact
from collectors.gcp.clients import as_json, cluster_manager, container_v1
from collectors.gcp.common import full_name, per_project, record
from collectors.gcp.inventory import CLUSTER, listed
from collectors.gcp.session import GcpSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _clean_node_config(config: dict[str, Any]) -> dict[str, Any]:
    node_config = config.get("config")
    if isinstance(node_config, dict) and "metadata" in node_config:
        config = {**config, "config": {**node_config, "metadata": redact.metadata_map(node_config["metadata"])}}
    return config


def clean_cluster(cluster: dict[str, Any]) -> dict[str, Any]:
    cluster = redact.secret_fields(cluster)
    if isinstance(cluster.get("nodeConfig"), dict) and "metadata" in cluster["nodeConfig"]:
        cluster["nodeConfig"]["metadata"] = redact.metadata_map(cluster["nodeConfig"]["metadata"])
    cluster["nodePools"] = [_clean_node_config(p) for p in cluster.get("nodePools") or [] if isinstance(p, dict)]
    return cluster


def _listed_clusters(session: GcpSession, project: str) -> list[dict[str, Any]]:
    response = cluster_manager(session).list_clusters(parent=f"projects/{project}/locations/-")
    if response.missing_zones:
        raise RuntimeError(f"GKE could not list clusters in: {', '.join(response.missing_zones)}")
    return [as_json(message) for message in response.clusters]


def _clusters(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    for listed_cluster in listed(
        session, project, CLUSTER, container_v1.Cluster, lambda: _listed_clusters(session, project)
    ):
        cluster = clean_cluster(listed_cluster)
        location = cluster.get("location") or cluster.get("zone") or ""
        if not session.in_scope(location):
            continue
        path = f"projects/{project}/locations/{location}/clusters/{cluster.get('name', '')}"
        uid = full_name("container", path)
        yield record(
            "container",
            "cluster",
            uid,
            cluster.get("name", ""),
            project,
            cluster,
            location,
            cluster.get("resourceLabels"),
        )
        for pool in cluster["nodePools"]:
            pool_config = {**pool, "_cluster": cluster.get("name", "")}
            yield record(
                "container",
                "node_pool",
                f"{uid}/nodePools/{pool.get('name', '')}",
                f"{cluster.get('name', '')}/{pool.get('name', '')}",
                project,
                pool_config,
                location,
                (pool.get("config") or {}).get("resourceLabels"),
            )


@REGISTRY.collector("gcp", "container", regional=False, permissions=("container.clusters.list",))
def collect_clusters(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _clusters)
