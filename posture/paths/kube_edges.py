"""Edges inside a cluster, read from the stored objects: what the internet reaches, what a Service selects, which
service account a workload runs as, which cloud identity that account is bound to, and what RBAC lets it do.

- A Service is an entry when a rule of the ``exposure`` category fails on it (``service_not_exposed``: a
  NodePort, or a LoadBalancer open to any source and not internal); an Ingress is an entry by its type.
- Workload identity: EKS IRSA (``eks.amazonaws.com/role-arn``), GKE (``iam.gke.io/gcp-service-account``),
  AKS (``azure.workload.identity/client-id``); EKS Pod Identity associations come from the cloud side.
- A pod on the host network reaches the node's metadata endpoint, and so the node's own identity.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from collectors.kubernetes.objects import WORKLOAD_TYPE, object_uid, pod_spec
from posture.inventory.workloads import ingress_backends, selects, service_account_of, template_labels
from posture.paths.items import (
    ENTRY,
    INTERNET,
    ROUTE,
    SERVICE_ACCOUNT,
    TARGET,
    WORKLOAD,
    Graph,
    HopFinding,
    Item,
    Node,
    resource_key,
    target_node,
)

SERVICE = "kubernetes.core.service"
INGRESS = "kubernetes.networking.ingress"
SA = "kubernetes.core.serviceaccount"
ROLE = "kubernetes.rbac.role"
BINDING = "kubernetes.rbac.binding"
CLUSTER = "kubernetes.cluster.cluster"
IRSA = "eks.amazonaws.com/role-arn"
GKE_WI = "iam.gke.io/gcp-service-account"
AKS_WI = "azure.workload.identity/client-id"
ESCALATING_VERBS = {"escalate", "bind", "impersonate"}


def namespace_of(item: Item) -> str:
    return str((item.config.get("metadata") or {}).get("namespace") or "")


def annotations_of(item: Item) -> dict[str, str]:
    raw = (item.config.get("metadata") or {}).get("annotations") or {}
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def add_cluster(graph: Graph, items: list[Item], findings: dict[int, list[HopFinding]]) -> None:
    """Nodes and edges of one cluster account's objects (``items`` all of one account)."""
    by_ns: dict[str, dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    for item in items:
        by_ns[namespace_of(item)][item.type].append(item)
    for namespace, kinds in by_ns.items():
        _namespace(graph, namespace, kinds, findings)
    _rbac(graph, items)


def object_label(item: Item) -> str:
    """``Kind namespace/name`` (a workload's kind is its controller's)."""
    kind = str(item.config.get("kind") or item.type.rsplit(".", 1)[-1])
    namespace = namespace_of(item)
    return f"{kind} {namespace}/{item.name}" if namespace else f"{kind} {item.name}"


def _node(graph: Graph, item: Item, kind: str, findings: dict[int, list[HopFinding]]) -> Node:
    return graph.node(
        Node(
            resource_key(item.id),
            kind,
            object_label(item),
            item.account,
            item.id,
            item.provider,
            "",
            findings.get(item.id, []),
        )
    )


def _namespace(graph: Graph, namespace: str, kinds: dict[str, list[Item]], findings: dict) -> None:
    workloads = [(w, template_labels(w.config)) for w in kinds.get(WORKLOAD_TYPE, [])]
    for w, _ in workloads:
        _node(graph, w, WORKLOAD, findings)
    accounts = {sa.name: _node(graph, sa, SERVICE_ACCOUNT, findings) for sa in kinds.get(SA, [])}
    services: dict[str, Node] = {}
    for svc in kinds.get(SERVICE, []):
        exposed = any(f.category == "exposure" for f in findings.get(svc.id, []))
        node = _node(graph, svc, ENTRY if exposed else ROUTE, findings)
        services[svc.name] = node
        if exposed:
            kind = str((svc.config.get("spec") or {}).get("type") or "Service")
            graph.link(INTERNET, node.key, "exposes", f"{kind} Service open to any source")
        selector = (svc.config.get("spec") or {}).get("selector")
        for w, labels in workloads:
            if selects(selector if isinstance(selector, dict) else None, labels):
                graph.link(node.key, resource_key(w.id), "selects", "its selector picks the workload's pods")
    for ing in kinds.get(INGRESS, []):
        node = _node(graph, ing, ENTRY, findings)
        graph.link(INTERNET, node.key, "exposes", "Ingress")
        for name in sorted(ingress_backends(ing.config)):
            if name in services:
                graph.link(node.key, services[name].key, "routes", f"backend Service {name}")
    for w, _ in workloads:
        sa_name = service_account_of(w.config)
        if sa_name in accounts:
            graph.link(resource_key(w.id), accounts[sa_name].key, "runs as", f"serviceAccountName {sa_name}")


def host_network(item: Item) -> bool:
    return bool((pod_spec(item.config) or {}).get("hostNetwork"))


def workload_identity(item: Item) -> tuple[str, str] | None:
    """``(platform, reference)`` of the cloud identity a service account is annotated with."""
    annotations = annotations_of(item)
    for key, platform in ((IRSA, "eks"), (GKE_WI, "gke"), (AKS_WI, "aks")):
        if annotations.get(key):
            return platform, annotations[key].strip()
    return None


def _rules_grant(rules: Any) -> tuple[bool, bool]:
    """``(admin, secrets)``: whether RBAC rules give the cluster away (anything on anything, creating pods,
    escalate/bind/impersonate) or let the holder read Secrets."""
    admin = secrets = False
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        verbs = {str(v) for v in rule.get("verbs") or []}
        resources = {str(r) for r in rule.get("resources") or []}
        if "*" in resources and "*" in verbs:
            admin = True
        if verbs & ESCALATING_VERBS or ("pods" in resources and verbs & {"create", "*"}):
            admin = True
        if resources & {"secrets", "*"} and verbs & {"get", "list", "watch", "*"}:
            secrets = True
    return admin, admin or secrets


def _rbac(graph: Graph, items: list[Item]) -> None:
    roles = {(namespace_of(r), r.config.get("kind"), r.name): r for r in items if r.type == ROLE}
    sas = {r.uid: r for r in items if r.type == SA}
    cluster = next((c for c in items if c.type == CLUSTER), None)
    for binding in (b for b in items if b.type == BINDING):
        ref = binding.config.get("roleRef") or {}
        scope = "" if ref.get("kind") == "ClusterRole" else namespace_of(binding)
        role = roles.get((scope, ref.get("kind"), ref.get("name")))
        admin, secrets = _rules_grant(role.config.get("rules") if role else None)
        if ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
            admin = secrets = True
        admin = admin and binding.config.get("kind") == "ClusterRoleBinding"  # a namespace's admin is not the cluster's
        if not (admin or secrets):
            continue
        for subject in binding.config.get("subjects") or []:
            if not isinstance(subject, dict) or subject.get("kind") != "ServiceAccount":
                continue
            sa = sas.get(object_uid("ServiceAccount", str(subject.get("name")), str(subject.get("namespace") or "")))
            if sa is None:
                continue
            via = f"{binding.config.get('kind')} {binding.name} -> {ref.get('kind')} {ref.get('name')}"
            if admin and cluster is not None:
                target = target_node(graph, cluster, "admin", f"Cluster admin: {cluster.name}")
                graph.link(resource_key(sa.id), target, "may administer", via)
            elif secrets:
                key = f"k8s-secrets:{sa.account}:{scope}"
                where = f"namespace {scope}" if scope else "every namespace"
                graph.node(Node(key, TARGET, f"Secrets in {where}", sa.account, None, "kubernetes", "secrets"))
                graph.link(resource_key(sa.id), key, "may read", via)
