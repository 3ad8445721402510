"""The exposure graph of the whole estate, from the stored resources of every account (no Django here).

Cluster objects give the entries, workloads and service accounts (:mod:`.kube_edges`); a service account's
workload-identity annotation, an EKS Pod Identity association, or the node's own identity (for a pod on the
host network) leads to a cloud identity; the cloud's policies lead from it to targets (:mod:`.aws_edges`,
:mod:`.gcp_edges`, :mod:`.azure_edges`). Identities are resolved only when something reaches them.

Two more kinds of entry come from the clouds' side:

- firewalls open to the internet in front of machines with public addresses (:mod:`.network_edges`): a machine
  is a foothold like a workload, and leads to the identity it runs as (instance profile role, kubelet identity,
  instance or node service account);
- a cluster's public API endpoint open to any source (its endpoint rule fails: EKS public access CIDRs, AKS
  authorized IP ranges, GKE private endpoint and authorized networks). It leads only to the cluster's anonymous
  requests, a foothold only when RBAC binds ``system:anonymous``/``system:unauthenticated`` to a role worth
  having (the binding's critical finding is the weakness): a public endpoint alone is an exposure, shown as a
  finding, not a path, since every request still needs credentials. A cluster not linked to its cloud
  resource (``--via``, or ``platform``/``cluster`` labels) has no known endpoint, hence no such path.
"""

from __future__ import annotations

from collections import defaultdict

from posture.paths.aws_edges import AwsIdentities
from posture.paths.azure_edges import AzureIdentities
from posture.paths.gcp_edges import GcpIdentities
from posture.paths.items import (
    ENTRY,
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
from posture.paths.kube_edges import SA, add_cluster, anonymous_key, host_network, workload_identity
from posture.paths.network_edges import AGENT_POOL, AZURE_VM, EC2, GCE, NetworkEntries

EKS_CLUSTER = "aws.eks.cluster"
EKS_NODEGROUP = "aws.eks.nodegroup"
EKS_POD_IDENTITY = "aws.eks.pod_identity_associations"
GKE_CLUSTER = "gcp.container.cluster"
GKE_NODE_POOL = "gcp.container.node_pool"
AKS_CLUSTER = "azure.aks.managed_cluster"
# The rules whose failing together says a cluster's API endpoint is public and open to any source.
OPEN_ENDPOINT_RULES = {
    EKS_CLUSTER: {"aws.eks.endpoint_public_access_restricted"},
    AKS_CLUSTER: {"azure.aks.api_server_access_restricted"},
    GKE_CLUSTER: {"gcp.container.cluster_private_endpoint", "gcp.container.cluster_authorized_networks"},
}
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
DEFAULT_COMPUTE_ACCOUNT = "-compute@developer.gserviceaccount.com"


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
                self._endpoint(account)
        cloud = [item for items in self.cloud_by_account.values() for item in items]
        NetworkEntries(cloud, self.findings, self._machine).add(self.graph)
        return self.graph

    def _kubelet(self, pool: Item) -> tuple[str, str] | None:
        """An AKS node pool's identity: its cluster's kubelet identity."""
        ref = str((pool.config.get("_cluster") or {}).get("id") or "").lower()
        for cluster in self.cloud_by_account.get(pool.account, []):
            if cluster.type == AKS_CLUSTER and cluster.uid.lower() == ref:
                kubelet = (cluster.config.get("properties") or cluster.config).get("identityProfile") or {}
                found = self.azure.identity(str((kubelet.get("kubeletidentity") or {}).get("clientId") or ""))
                return (self._azure_identity(*found), "the cluster's kubelet identity") if found else None
        return None

    def _endpoint(self, account: int) -> None:
        """The cluster's API endpoint as an entry when it is public and open to any source; it leads on only
        to what anonymous requests may do (RBAC bound to ``system:anonymous``/``system:unauthenticated``).

        An open endpoint alone is an exposure (its rule's finding says so), not a way to a target: every
        request still needs credentials. Bound to anonymous users, the cluster's RBAC hands its roles to anyone
        who reaches the endpoint, so the endpoint's reach decides whether that binding is a path.
        """
        anonymous = anonymous_key(account)
        if anonymous not in self.graph.nodes:
            return
        link = self.links.get(account)
        for type_, rules in OPEN_ENDPOINT_RULES.items():
            cluster = self._cluster(link, type_)
            failing = {f.rule_id for f in self.findings.get(cluster.id, [])} if cluster is not None else set()
            if cluster is None or not rules <= failing:
                continue
            key = resource_key(cluster.id)
            found = self.findings.get(cluster.id, [])
            self.graph.node(
                Node(
                    key,
                    ENTRY,
                    f"API endpoint of {cluster.name}",
                    cluster.account,
                    cluster.id,
                    cluster.provider,
                    "",
                    found,
                )
            )
            self.graph.link(INTERNET, key, "exposes", "public API endpoint open to any source")
            self.graph.link(key, anonymous, "serves", "requests without credentials")

    def _machine(self, item: Item) -> tuple[str, str] | list[tuple[str, str]] | None:
        """The identity a machine behind a firewall runs as (:mod:`.network_edges`), and how."""
        if item.type == AZURE_VM:
            return self._vm_identities(item)
        if item.type == EC2:
            profile = str((item.config.get("IamInstanceProfile") or {}).get("Arn") or "")
            role = self.aws.profiles.get(profile)
            return (self._identity(role, "aws"), f"instance profile {profile.rsplit('/', 1)[-1]}") if role else None
        if item.type == AGENT_POOL:
            return self._kubelet(item)
        if item.type == GCE:
            accounts = [a for a in item.config.get("serviceAccounts") or [] if isinstance(a, dict)]
            email, scopes = (str(accounts[0].get("email") or ""), accounts[0].get("scopes")) if accounts else ("", None)
        else:
            node = item.config.get("config") or {}
            email, scopes = str(node.get("serviceAccount") or "default"), node.get("oauthScopes")
        if isinstance(scopes, list) and scopes and CLOUD_PLATFORM not in scopes:
            return None  # a token narrowed by access scopes: its account's roles are not mapped to what they leave
        email = email.lower()
        if email == "default":  # a node pool on the project's default compute account
            project = str(item.config.get("_project") or "")
            email = next(
                (
                    e
                    for e, a in self.gcp.accounts.items()
                    if e.endswith(DEFAULT_COMPUTE_ACCOUNT) and a.config.get("_project") == project
                ),
                "",
            )
        account = self.gcp.accounts.get(email)
        return (self._identity(account, "gcp"), f"service account {account.name}") if account else None

    def _vm_identities(self, vm: Item) -> list[tuple[str, str]]:
        """An Azure VM's managed identities: the system-assigned one (its ``principalId``) and each user-assigned
        one (by its client id when recorded, else by the principal id the VM's identity block gives)."""
        identity = vm.config.get("identity")
        identity = identity if isinstance(identity, dict) else {}
        found = []
        kinds = str(identity.get("type") or "").lower()
        if "systemassigned" in kinds.replace(" ", "") and identity.get("principalId"):
            label = f"{vm.name} system-assigned identity"
            found.append((self._azure_identity(vm, str(identity["principalId"]), label), "system-assigned identity"))
        assigned = identity.get("userAssignedIdentities")
        for ref, value in sorted(assigned.items()) if isinstance(assigned, dict) else []:
            value = value if isinstance(value, dict) else {}
            known = self.azure.identity(str(value.get("clientId") or ""))
            name = str(ref).rstrip("/").rsplit("/", 1)[-1]
            if known is not None:
                found.append((self._azure_identity(*known), f"user-assigned identity {name}"))
            elif value.get("principalId"):
                key = self._azure_identity(vm, str(value["principalId"]), name)
                found.append((key, f"user-assigned identity {name}"))
        return found

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
