"""The exposure graph of the whole estate, from the stored resources of every account (no Django here).

Cluster objects give the entries, workloads and service accounts (:mod:`.kube_edges`); a service account's
workload-identity annotation, an EKS Pod Identity association, or the node's own identity (for a pod on the
host network) leads to a cloud identity; the cloud's policies lead from it to targets (:mod:`.aws_edges`,
:mod:`.gcp_edges`). Identities are resolved only when a cluster reaches them.
"""

from __future__ import annotations

from collections import defaultdict

from posture.paths.aws_edges import AwsIdentities
from posture.paths.azure_edges import AzureIdentities
from posture.paths.gcp_edges import GcpIdentities
from posture.paths.items import (
    IDENTITY,
    INTERNET,
    SERVICE_ACCOUNT,
    WORKLOAD,
    ClusterLink,
    Graph,
    HopFinding,
    Item,
    Node,
    resource_key,
)
from posture.paths.kube_edges import SA, add_cluster, host_network, workload_identity

EKS_CLUSTER = "aws.eks.cluster"
EKS_NODEGROUP = "aws.eks.nodegroup"
EKS_POD_IDENTITY = "aws.eks.pod_identity_associations"
GKE_CLUSTER = "gcp.container.cluster"
GKE_NODE_POOL = "gcp.container.node_pool"
AKS_CLUSTER = "azure.aks.managed_cluster"


class Builder:
    def __init__(self, items: list[Item], findings: dict[int, list[HopFinding]], links: list[ClusterLink]) -> None:
        self.graph = Graph()
        self.graph.node(Node(INTERNET, "internet", "The internet"))
        self.findings = findings
        self.links = {link.account: link for link in links}
        self.by_account: dict[int, list[Item]] = defaultdict(list)
        for item in items:
            self.by_account[item.account].append(item)
        cloud = [i for i in items if i.provider != "kubernetes"]
        self.aws = AwsIdentities(cloud)
        self.gcp = GcpIdentities(cloud)
        self.azure = AzureIdentities(cloud)
        self.cloud_by_account: dict[int, list[Item]] = defaultdict(list)
        for item in cloud:
            self.cloud_by_account[item.account].append(item)

    def build(self) -> Graph:
        for account, items in self.by_account.items():
            if items and items[0].provider == "kubernetes":
                add_cluster(self.graph, items, self.findings)
                self._identities(account, items)
        return self.graph

    def _identity(self, item: Item, kind: str) -> str:
        key = resource_key(item.id)
        if key in self.graph.nodes:
            return key
        self.graph.node(Node(key, IDENTITY, item.name, item.account, item.id, item.provider))
        if kind == "aws":
            self.aws.link_targets(self.graph, item, key)
        else:
            self.gcp.link_targets(self.graph, item, key)
        return key

    def _identities(self, account: int, items: list[Item]) -> None:
        link = self.links.get(account)
        pod_identity = self._pod_identity(link)
        for sa in (i for i in items if i.type == SA):
            bound = workload_identity(sa)
            if bound is not None:
                self._bind(sa, *bound)
            namespace = str((sa.config.get("metadata") or {}).get("namespace") or "")
            role = self.aws.roles.get(pod_identity.get((namespace, sa.name), ""))
            if role is not None:
                self.graph.link(resource_key(sa.id), self._identity(role, "aws"), "assumes", "EKS Pod Identity")
        node_identity = self._node_identity(link)
        if node_identity is None:
            return
        for item in items:
            node = self.graph.nodes.get(resource_key(item.id))
            if node is not None and node.kind == WORKLOAD and host_network(item):
                self.graph.link(node.key, node_identity[0], "reaches node identity", node_identity[1])

    def _bind(self, sa: Item, platform: str, ref: str) -> None:
        key = resource_key(sa.id)
        if platform == "eks" and ref in self.aws.roles:
            self.graph.link(key, self._identity(self.aws.roles[ref], "aws"), "assumes", f"IRSA role {ref}")
        elif platform == "gke" and ref.lower() in self.gcp.accounts:
            target = self._identity(self.gcp.accounts[ref.lower()], "gcp")
            self.graph.link(key, target, "impersonates", f"GKE Workload Identity {ref}")
        elif platform == "aks" and (found := self.azure.identity(ref)) is not None:
            self.graph.link(key, self._azure_identity(*found), "federates", f"AKS workload identity {ref}")

    def _azure_identity(self, item: Item, principal: str, label: str) -> str:
        """A managed identity's node (an AKS kubelet identity is keyed apart from its cluster's resource)."""
        key = f"azure-identity:{principal or item.uid}"
        if key not in self.graph.nodes:
            self.graph.node(Node(key, IDENTITY, label, item.account, item.id, item.provider))
            self.azure.link_targets(self.graph, principal, key)
        return key

    def _cluster(self, link: ClusterLink | None, type_: str) -> Item | None:
        """The cluster's cloud resource: by uid (``--via``), or by name in any account (a labelled kubeconfig)."""
        if link is None:
            return None
        accounts = [link.cloud_account] if link.cloud_account is not None else list(self.cloud_by_account)
        ref = link.cluster.lower()
        for account in accounts:
            for item in self.cloud_by_account.get(account, []):
                uid = item.uid.lower()
                if item.type == type_ and (uid == ref or uid.endswith("/" + ref) or item.name.lower() == ref):
                    return item
        return None

    def _pod_identity(self, link: ClusterLink | None) -> dict[tuple[str, str], str]:
        cluster = self._cluster(link, EKS_CLUSTER)
        if cluster is None or link is None:
            return {}
        found = {}
        for item in self.cloud_by_account.get(cluster.account, []):
            if item.type == EKS_POD_IDENTITY and item.config.get("clusterName") == cluster.name:
                for a in item.config.get("associations") or []:
                    if isinstance(a, dict) and a.get("roleArn"):
                        found[(str(a.get("namespace")), str(a.get("serviceAccount")))] = str(a["roleArn"])
        return found

    def _node_identity(self, link: ClusterLink | None) -> tuple[str, str] | None:
        """The key of the cluster nodes' identity and how a pod reaches it, or None when unknown."""
        eks = self._cluster(link, EKS_CLUSTER)
        gke = self._cluster(link, GKE_CLUSTER)
        aks = self._cluster(link, AKS_CLUSTER)
        if aks is not None:  # every AKS node runs as the cluster's kubelet identity
            kubelet = (aks.config.get("properties") or aks.config).get("identityProfile") or {}
            found = self.azure.identity(str((kubelet.get("kubeletidentity") or {}).get("clientId") or ""))
            if found is not None:
                return self._azure_identity(*found), f"host network: {aks.name}'s kubelet identity"
        cluster = eks or gke
        for item in self.cloud_by_account.get(cluster.account, []) if cluster is not None else []:
            if eks is not None and item.type == EKS_NODEGROUP and item.config.get("clusterName") == eks.name:
                role = self.aws.roles.get(str(item.config.get("nodeRole") or ""))
                if role is not None:
                    return self._identity(role, "aws"), f"host network: the node role of {item.name}"
            if gke is not None and item.type == GKE_NODE_POOL and item.config.get("_cluster") == gke.name:
                email = str((item.config.get("config") or {}).get("serviceAccount") or "").lower()
                if email in self.gcp.accounts:
                    return self._identity(self.gcp.accounts[email], "gcp"), f"host network: {item.name}'s account"
        return None


def build_graph(items: list[Item], findings: dict[int, list[HopFinding]], links: list[ClusterLink]) -> Graph:
    return Builder(items, findings, links).build()


__all__ = ["SERVICE_ACCOUNT", "build_graph"]
