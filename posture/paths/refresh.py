"""Build the exposure graph from the stored estate, find its paths and store both (when: :mod:`.builds`).

Reads the current resources of every enabled account (the types a path can cross only), their failing
findings (with the mute and its reason: a muted hop stays on the path, marked), and how each cluster account
sits in its cloud. Writes the graph (replaced whole) and upserts the paths by key: new ones are opened,
ones no longer found are closed, closed ones found again are opened again. Returns what opened and closed,
for the ``path.opened`` / ``path.closed`` webhook events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from posture.findings.models import Finding
from posture.inventory.models import CloudAccount, Resource
from posture.paths.items import ClusterLink, Graph, HopFinding, Item
from posture.paths.models import ExposurePath, PathEdge, PathNode
from posture.paths.network_edges import NETWORK_TYPES
from posture.paths.search import FoundPath, find_paths
from posture.rules.registry import RULES
from posture.scans.models import Scan

PATH_TYPES = (
    "kubernetes.core.service",
    "kubernetes.networking.ingress",
    "kubernetes.workloads.workload",
    "kubernetes.core.serviceaccount",
    "kubernetes.rbac.role",
    "kubernetes.rbac.binding",
    "kubernetes.cluster.cluster",
    "aws.iam.role",
    "aws.iam.policy",
    "aws.iam.aws_managed_policy",
    "aws.iam.account",
    "aws.s3.bucket",
    "aws.kms.key",
    "aws.eks.cluster",
    "aws.eks.nodegroup",
    "aws.eks.pod_identity_associations",
    "gcp.iam.service_account",
    "gcp.resourcemanager.project",
    "gcp.storage.bucket",
    "gcp.kms.crypto_key",
    "gcp.container.cluster",
    "gcp.container.node_pool",
    "azure.aks.managed_cluster",
    "azure.managedidentity.user_assigned",
    "azure.authorization.role_assignments",
    "azure.storage.account",
    "azure.keyvault.vault",
    *NETWORK_TYPES,
)
MAX_HOP_FINDINGS = 12


@dataclass
class Refreshed:
    paths: int = 0
    opened: list[ExposurePath] = field(default_factory=list)
    closed: list[ExposurePath] = field(default_factory=list)


def load_items() -> list[Item]:
    rows = Resource.objects.filter(gone_at__isnull=True, account__enabled=True, type__in=PATH_TYPES).values_list(
        "id", "account_id", "provider", "type", "uid", "name", "config"
    )
    return [Item(*row) for row in rows.iterator(chunk_size=2000)]


def load_findings() -> dict[int, list[HopFinding]]:
    """Failing findings per resource, most severe first (the mute's reason with a muted one)."""
    categories = {r.id: r.category for r in RULES}
    rows = Finding.objects.filter(status="FAIL", account__enabled=True).values_list(
        "id", "resource_id", "rule_id", "severity", "muted", "mute_rule__reason"
    )
    found: dict[int, list[HopFinding]] = {}
    for pk, resource, rule_id, severity, muted, reason in rows.iterator(chunk_size=5000):
        hop = HopFinding(pk, rule_id, severity, muted, reason or "", categories.get(rule_id, ""))
        found.setdefault(resource, []).append(hop)
    order = ("critical", "high", "medium", "low", "info")
    for hops in found.values():
        hops.sort(key=lambda h: (order.index(h.severity) if h.severity in order else 9, h.rule_id))
    return found


def load_links() -> list[ClusterLink]:
    """Each cluster account's place in its cloud: via its cloud account, or by its ``platform``/``cluster`` labels."""
    links = []
    for account in CloudAccount.objects.filter(provider="kubernetes", enabled=True).only("id", "via", "labels"):
        labels = account.labels or {}
        if account.via_id:
            links.append(ClusterLink(account.pk, account.via_id, str(labels.get("platform", "")), account.via_cluster))
        elif labels.get("cluster"):
            links.append(ClusterLink(account.pk, None, str(labels.get("platform", "")), str(labels["cluster"])))
    return links


def hop_json(path: FoundPath, refs: dict[int, tuple[str, str]]) -> list[dict[str, Any]]:
    """The path's hops as stored: each node with its resource's uid and type (``refs``) and its findings."""
    hops = []
    for index, node in enumerate(path.nodes):
        edge = path.edges[index - 1] if index else None
        hops.append(
            {
                "key": node.key,
                "kind": node.kind,
                "target_kind": node.target_kind,
                "label": node.label,
                "resource": node.resource,
                "uid": refs.get(node.resource or 0, ("", ""))[0],
                "type": refs.get(node.resource or 0, ("", ""))[1],
                "account": node.account,
                "findings": [f.as_dict() for f in node.findings[:MAX_HOP_FINDINGS]],
                "edge": {"kind": edge.kind, "detail": edge.detail} if edge else None,
            }
        )
    return hops


def store_graph(graph: Graph) -> None:
    PathEdge.objects.all().delete()
    PathNode.objects.all().delete()
    PathNode.objects.bulk_create(
        [
            PathNode(
                key=n.key,
                kind=n.kind,
                target_kind=n.target_kind,
                label=n.label[:500],
                account_id=n.account,
                resource_id=n.resource,
            )
            for n in graph.nodes.values()
        ],
        batch_size=1000,
    )
    PathEdge.objects.bulk_create(
        [PathEdge(source=e.source, target=e.target, kind=e.kind, detail=e.detail[:500]) for e in graph.edges],
        batch_size=1000,
    )


def store_paths(found: list[FoundPath], now: datetime, scan: Scan | None) -> Refreshed:
    out = Refreshed(paths=len(found))
    existing = {p.key: p for p in ExposurePath.objects.all()}
    ids = {n.resource for p in found for n in p.nodes if n.resource is not None}
    refs = {pk: (uid, type_) for pk, uid, type_ in Resource.objects.filter(pk__in=ids).values_list("pk", "uid", "type")}
    keys = set()
    for path in found:
        keys.add(path.key)
        row = existing.get(path.key) or ExposurePath(key=path.key, opened_at=now)
        reopened = row.pk is None or row.closed_at is not None
        if row.closed_at is not None:
            row.opened_at, row.closed_at = now, None
        row.title, row.target_kind, row.rank = path.title[:1000], path.target_kind, path.rank
        row.reach, row.entries, row.hops = path.reach, path.entries, hop_json(path, refs)
        row.last_seen, row.scan = now, scan
        row.save()
        row.accounts.set(sorted(path.accounts))
        if reopened:
            out.opened.append(row)
    for key, row in existing.items():
        if key not in keys and row.closed_at is None:
            row.closed_at = now
            row.save(update_fields=["closed_at"])
            out.closed.append(row)
    return out


def refresh_paths(scan: Scan | None = None, now: datetime | None = None) -> Refreshed:
    """Rebuild the graph and the paths from what is stored now; one transaction."""
    from posture.paths.graph import build_graph

    graph = build_graph(load_items(), load_findings(), load_links())
    found = find_paths(graph)
    with transaction.atomic():
        store_graph(graph)
        return store_paths(found, now or timezone.now(), scan)
