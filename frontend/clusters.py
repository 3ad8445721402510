"""Clusters as container stacks: platform -> control plane -> nodes -> workloads, from aggregates.

A managed cluster (EKS, AKS, GKE) is a resource in a cloud account; a kubeconfig
cluster is an account of provider ``kubernetes``. A kubeconfig account is joined to
the managed cluster it reaches when its ``cluster`` label or provider id names it.

Each failing finding is counted once on the page: a cluster's control plane and node groups
(node pools, agent pools) are its own resources, matched by the cluster's id inside theirs;
account-wide findings (storage, IAM, logging...) form one platform row per cloud account, which
every cluster of that account points to ("shared by N clusters") without adding it to its total.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from collectors.cluster_access import PLATFORMS, cluster_ref_of_uid
from posture.access.scoping import scope
from posture.findings.models import Finding
from posture.inventory.models import CloudAccount, Resource

# The resource types of managed clusters, as the cloud collectors record them (one list: collectors.cluster_access).
MANAGED_CLUSTER_TYPES = frozenset(record_type for _, _, record_type in PLATFORMS.values())
LAYERS = ("platform", "control_plane", "nodes", "workloads")
LAYER_TITLES = {
    "platform": "Platform",
    "control_plane": "Control plane",
    "nodes": "Nodes",
    "workloads": "Workloads",
}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
NODE_WORDS = ("nodegroup", "nodepool", "node_pool", "agentpool", "agent_pool")
# An EKS node group's ARN names its cluster: arn:aws:eks:REGION:ACCOUNT:nodegroup/CLUSTER/GROUP/ID.
EKS_NODEGROUP = re.compile(r"^(arn:[^:]+:eks:[^:]*:[^:]*:)nodegroup/([^/]+)/", re.IGNORECASE)


def layer_of(resource_type: str) -> str | None:
    t = resource_type.lower()
    if t in MANAGED_CLUSTER_TYPES or t.startswith(("kubernetes.cluster.", "kubernetes.admission.", "kubernetes.rbac.")):
        return "control_plane"
    if any(k in t for k in NODE_WORDS) or t == "kubernetes.core.node" or t.startswith("kubernetes.nodes."):
        return "nodes"
    if t.startswith(("kubernetes.workloads.", "kubernetes.core.", "kubernetes.networking.")):
        return "workloads"
    return None


@dataclass
class Layer:
    key: str
    title: str
    resources: int = 0
    failing: dict[str, int] = field(default_factory=dict)
    types: list[tuple[str, str, int]] = field(default_factory=list)  # (account, type, failing)
    account: str = ""
    shared: Layer | None = None  # a cluster's pointer to its cloud account's platform row (counted there)
    shared_by: int = 0  # on a platform row: how many clusters of the account share it

    @property
    def failing_total(self) -> int:
        return sum(self.failing.values())

    @property
    def worst(self) -> str:
        return next((s for s in SEVERITY_ORDER if self.failing.get(s)), "")

    @property
    def severity_counts(self) -> list[tuple[str, int]]:
        return [(s, self.failing[s]) for s in SEVERITY_ORDER if self.failing.get(s)]


@dataclass
class Stack:
    name: str
    kind: str  # "managed" or "kubeconfig"
    platform_account: CloudAccount | None
    k8s_account: CloudAccount | None
    cluster_uid: str = ""
    layers: dict[str, Layer] = field(default_factory=dict)
    suggested_name: str = ""  # for the kubernetes account that would scan inside (see suggest_names)

    @property
    def can_scan_inside(self) -> bool:
        """A managed cluster no account scans inside yet, whose cloud account's identity could."""
        return (
            self.k8s_account is None
            and self.platform_account is not None
            and (self.platform_account.provider in PLATFORMS)
        )

    @property
    def ordered_layers(self) -> list[Layer]:
        return [self.layers[k] for k in LAYERS if k in self.layers]

    @property
    def failing_total(self) -> int:
        return sum(layer.failing_total for layer in self.layers.values())


def _per_account_type(account_ids: list[int]) -> tuple[dict, dict]:
    resources: dict[tuple[int, str], int] = {}
    for account_id, rtype, n in (
        Resource.objects.filter(account_id__in=account_ids, gone_at__isnull=True)
        .values_list("account_id", "type")
        .annotate(n=Count("id"))
        .values_list("account_id", "type", "n")
    ):
        resources[(account_id, rtype)] = n
    failing: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for account_id, rtype, severity, n in (
        Finding.objects.filter(account_id__in=account_ids, status="FAIL", muted=False)
        .values_list("account_id", "resource__type", "severity")
        .annotate(n=Count("id"))
        .values_list("account_id", "resource__type", "severity", "n")
    ):
        failing[(account_id, rtype)][severity] = n
    return resources, failing


def _fill(layer: Layer, account: CloudAccount, types: list[str], resources: dict, failing: dict) -> None:
    for t in types:
        layer.resources += resources.get((account.pk, t), 0)
        bad = failing.get((account.pk, t), {})
        for sev, n in bad.items():
            layer.failing[sev] = layer.failing.get(sev, 0) + n
        layer.types.append((account.name, t, sum(bad.values())))


def owning_cluster(uid: str, cluster_uids: list[str]) -> str | None:
    """The cluster (of ``cluster_uids``) a node group, node pool or agent pool belongs to, by its own uid.

    EKS: the node group ARN names the cluster; AKS and GKE: the pool's id is under the cluster's id.
    """
    match = EKS_NODEGROUP.match(uid)
    ref = (f"{match[1]}cluster/{match[2]}" if match else uid).lower()
    return next((c for c in cluster_uids if ref == c.lower() or ref.startswith(c.lower() + "/")), None)


def _per_cluster_resource(account_ids: list[int]) -> dict[tuple[int, str], list[dict[str, Any]]]:
    """Managed clusters and their node groups, one row each with its failing findings per severity (one query)."""
    node_q = Q(type__in=MANAGED_CLUSTER_TYPES)
    for word in NODE_WORDS:
        node_q |= Q(type__icontains=word)
    failing = {
        sev: Count("findings", filter=Q(findings__status="FAIL", findings__muted=False, findings__severity=sev))
        for sev in SEVERITY_ORDER
    }
    rows: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Resource.objects.filter(node_q, account_id__in=account_ids)
        .exclude(account__provider="kubernetes")
        .values("account_id", "type", "uid", "gone_at")
        .annotate(**failing)
        .order_by()
    ):
        rows[(row["account_id"], row["type"])].append(row)
    return rows


def _by_cluster(
    rows: dict[tuple[int, str], list[dict[str, Any]]], clusters_of: dict[int, list[str]]
) -> dict[tuple[int, str], dict[str, list[dict[str, Any]]]]:
    """(account, cluster uid) -> resource type -> the cluster's own rows (itself, its node groups).

    A node group of no cluster collected (deleted since, or outside the scan's regions) is on no stack."""
    out: dict[tuple[int, str], dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for (account_id, rtype), found in rows.items():
        for row in found:
            owner = owning_cluster(row["uid"], clusters_of.get(account_id, []))
            if owner is not None:
                out[(account_id, owner)][rtype].append(row)
    return out


def _fill_own(layer: Layer, account: str, rtype: str, rows: list[dict[str, Any]]) -> None:
    """Add one cluster's own resources of ``rtype`` (rows already matched to it) to ``layer``."""
    bad = 0
    for row in rows:
        layer.resources += row["gone_at"] is None
        for sev in SEVERITY_ORDER:
            if row[sev]:
                layer.failing[sev] = layer.failing.get(sev, 0) + row[sev]
                bad += row[sev]
    layer.types.append((account, rtype, bad))


@dataclass
class ClusterPage:
    """The clusters page: one stack per cluster, one platform row per cloud account with clusters."""

    stacks: list[Stack]
    platforms: list[Layer]


def stacks(user: Any) -> list[Stack]:
    """Every cluster's stack the user's teams may see, worst first."""
    return cluster_page(user).stacks


def cluster_page(user: Any) -> ClusterPage:
    """Every cluster's stack the user's teams may see, worst first, and the cloud accounts' platform rows
    (six queries whatever the estate's size)."""
    accounts = {a.pk: a for a in scope(CloudAccount.objects.defer("credentials_encrypted"), user, account_path="")}
    managed = list(
        scope(Resource.objects.filter(gone_at__isnull=True, type__in=MANAGED_CLUSTER_TYPES), user).values(
            "account_id", "uid", "name", "type"
        )
    )
    k8s_accounts = [a for a in accounts.values() if a.provider == "kubernetes"]
    resources, failing = _per_account_type(list(accounts))
    types_by_account: dict[int, list[str]] = defaultdict(list)
    for account_id, rtype in [*resources, *failing]:
        if rtype not in types_by_account[account_id]:
            types_by_account[account_id].append(rtype)
    clusters_of: dict[int, list[str]] = defaultdict(list)
    for cluster in managed:
        clusters_of[cluster["account_id"]].append(cluster["uid"])
    own = _by_cluster(_per_cluster_resource(list(accounts)), clusters_of)
    platforms = {
        pk: _platform_layer(accounts[pk], len(uids), types_by_account, resources, failing)
        for pk, uids in clusters_of.items()
        if pk in accounts
    }

    out: list[Stack] = []
    joined: set[int] = set()
    for cluster in managed:
        platform = accounts.get(cluster["account_id"])
        k8s = _joined_k8s(cluster, platform, [a for a in k8s_accounts if a.pk not in joined])
        stack = _managed_stack(cluster, platform, k8s, platforms, own)
        if k8s is not None:
            joined.add(k8s.pk)
            _add_k8s_layers(stack, k8s, types_by_account, resources, failing, skip_nodes=False)
        else:
            stack.layers["workloads"] = Layer("workloads", LAYER_TITLES["workloads"])
        out.append(stack)
    for k8s in k8s_accounts:
        if k8s.pk in joined:
            continue
        stack = Stack(
            name=k8s.name, kind="kubeconfig", platform_account=None, k8s_account=k8s, cluster_uid=k8s.external_id
        )
        stack.layers["platform"] = Layer("platform", LAYER_TITLES["platform"])
        stack.layers["control_plane"] = Layer("control_plane", LAYER_TITLES["control_plane"], account=k8s.name)
        stack.layers["nodes"] = Layer("nodes", LAYER_TITLES["nodes"], account=k8s.name)
        _add_k8s_layers(stack, k8s, types_by_account, resources, failing, skip_nodes=False)
        out.append(stack)
    out.sort(key=lambda s: (-s.failing_total, s.name))
    suggest_names(out)
    rows = sorted(platforms.values(), key=lambda p: (-p.failing_total, p.account))
    return ClusterPage(stacks=out, platforms=rows)


def _joined_k8s(cluster: dict, platform: CloudAccount | None, k8s_accounts: list[CloudAccount]) -> CloudAccount | None:
    """The kubernetes account that scans inside this managed cluster, if any (each joins one cluster at most)."""
    name = cluster["name"] or cluster["uid"]
    ref = cluster_ref_of_uid(platform.provider, cluster["uid"]).lower() if platform else ""
    return next(
        (
            a
            for a in k8s_accounts
            if (a.via_id == cluster["account_id"] and a.via_cluster.lower() == ref)
            or (a.labels or {}).get("cluster") in (name, cluster["uid"])
            or a.external_id in (name, cluster["uid"])
        ),
        None,
    )


def _managed_stack(
    cluster: dict,
    platform: CloudAccount | None,
    k8s: CloudAccount | None,
    platforms: dict[int, Layer],
    own: dict[tuple[int, str], dict[str, list[dict[str, Any]]]],
) -> Stack:
    """A managed cluster's stack: its platform row pointer, its own control plane and its own node groups."""
    stack = Stack(
        name=cluster["name"] or cluster["uid"],
        kind="managed",
        platform_account=platform,
        k8s_account=k8s,
        cluster_uid=cluster["uid"],
    )
    account = platform.name if platform else ""
    shared = platforms.get(platform.pk) if platform else None
    stack.layers["platform"] = Layer("platform", LAYER_TITLES["platform"], account=account, shared=shared)
    control = Layer("control_plane", LAYER_TITLES["control_plane"], account=account)
    nodes = Layer("nodes", LAYER_TITLES["nodes"], account=account)
    for rtype, rows in sorted(own.get((cluster["account_id"], cluster["uid"]), {}).items()):
        _fill_own(control if rtype == cluster["type"] else nodes, account, rtype, rows)
    control.resources = 1
    stack.layers.update(control_plane=control, nodes=nodes)
    return stack


def _platform_layer(
    platform: CloudAccount, shared_by: int, types_by_account: dict, resources: dict, failing: dict
) -> Layer:
    """A cloud account's account-wide resources (not clusters, not node groups): one row, however many clusters."""
    layer = Layer("platform", "Cloud account platform", account=platform.name, shared_by=shared_by)
    _fill(layer, platform, [t for t in types_by_account[platform.pk] if layer_of(t) is None], resources, failing)
    return layer


def _add_k8s_layers(
    stack: Stack, k8s: CloudAccount, types_by_account: dict, resources: dict, failing: dict, skip_nodes: bool
) -> None:
    types = types_by_account[k8s.pk]
    for key in ("control_plane", "nodes", "workloads"):
        if skip_nodes and key == "nodes":
            continue
        layer = stack.layers.get(key) or Layer(key, LAYER_TITLES[key])
        if not layer.account:
            layer.account = k8s.name
        _fill(layer, k8s, [t for t in types if layer_of(t) == key], resources, failing)
        stack.layers[key] = layer


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "cluster"


def suggest_names(items: list[Stack]) -> None:
    """A free account name for each cluster one could scan inside: cluster-platform, else with the cloud account's
    name, else numbered (clusters of one name in several regions or accounts are common)."""
    open_ = [s for s in items if s.can_scan_inside]
    if not open_:
        return
    taken = set(CloudAccount.objects.values_list("name", flat=True))
    for stack in open_:
        platform = PLATFORMS[stack.platform_account.provider][0]
        cluster, cloud = _slug(stack.name), _slug(stack.platform_account.name)
        candidates = [f"{cluster}-{platform}", f"{cloud}-{cluster}-{platform}"]
        candidates += [f"{cloud}-{cluster}-{platform}-{n}" for n in range(2, 100)]
        stack.suggested_name = next(c[:100] for c in candidates if c[:100] not in taken)
        taken.add(stack.suggested_name)


def summary_counts(items: ClusterPage) -> dict[str, Any]:
    """The page's header: each failing finding once (the stacks plus the cloud accounts' platform rows)."""
    return {
        "clusters": len(items.stacks),
        "failing": sum(s.failing_total for s in items.stacks) + sum(p.failing_total for p in items.platforms),
        "managed": sum(1 for s in items.stacks if s.kind == "managed"),
        "platforms": len(items.platforms),
    }
