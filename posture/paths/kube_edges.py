"""Edges inside a cluster, read from the stored objects: what the internet reaches, what a Service selects, which
service account a workload runs as, which cloud identity that account is bound to, and what RBAC lets it do.

- A Service is an entry when a rule of the ``exposure`` category fails on it (``service_not_exposed``: a
  NodePort, or a LoadBalancer open to any source and not internal); an Ingress is an entry by its type.
- Workload identity: EKS IRSA (``eks.amazonaws.com/role-arn``), GKE (``iam.gke.io/gcp-service-account``),
  AKS (``azure.workload.identity/client-id``); EKS Pod Identity associations come from the cloud side.
- A pod on the host network reaches the node's metadata endpoint, and so the node's own identity.
- RBAC: a binding of a role that reads Secrets, creates pods, escalates/binds/impersonates (or ``*`` on ``*``)
  leads its service accounts to the namespace's (or every namespace's) Secrets, or, cluster-wide, to cluster
  admin. A binding to ``system:anonymous``/``system:unauthenticated`` leads the cluster's anonymous requests
  there too: a foothold by the binding's own findings, reached from the internet only through a public API
  endpoint (see :mod:`.graph`).
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
ANONYMOUS = {"system:anonymous", "system:unauthenticated"}


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
    _rbac(graph, items, findings)


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


def _rbac(graph: Graph, items: list[Item], findings: dict[int, list[HopFinding]]) -> None:
    roles = {(namespace_of(r), r.config.get("kind"), r.name): r for r in items if r.type == ROLE}
    sas = {r.uid: r for r in items if r.type == SA}
    cluster = next((c for c in items if c.type == CLUSTER), None)
    for binding in (b for b in items if b.type == BINDING):
        ref = binding.config.get("roleRef") or {}
        scope = "" if ref.get("kind") == "ClusterRole" else namespace_of(binding)
        role = roles.get((scope, ref.get("kind"), str(ref.get("name"))))
        admin, secrets = _rules_grant(role.config.get("rules") if role else None)
        if ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
            admin = secrets = True
        admin = admin and binding.config.get("kind") == "ClusterRoleBinding"  # a namespace's admin is not the cluster's
        if not (admin or secrets):
            continue
        holders = [h for s in binding.config.get("subjects") or [] if (h := _holder(graph, s, sas, binding, findings))]
        if not holders:
            continue
        via = f"{binding.config.get('kind')} {binding.name} -> {ref.get('kind')} {ref.get('name')}"
        if admin and cluster is not None:
            target = target_node(graph, cluster, "admin", f"Cluster admin: {cluster.name}")
            verb = "may administer"
        else:
            target = f"k8s-secrets:{binding.account}:{scope}"
            where = f"namespace {scope}" if scope else "every namespace"
            graph.node(Node(target, TARGET, f"Secrets in {where}", binding.account, None, "kubernetes", "secrets"))
            verb = "may read"
        for holder in holders:
            graph.link(holder, target, verb, via)


def anonymous_key(account: int) -> str:
    return f"k8s-anonymous:{account}"


def _holder(
    graph: Graph, subject: Any, sas: dict[str, Item], binding: Item, findings: dict[int, list[HopFinding]]
) -> str:
    """The node a binding's subject stands for: a known service account's, or the cluster's anonymous users'
    (``system:anonymous`` / ``system:unauthenticated``, carrying the binding's findings); '' for anyone else."""
    if not isinstance(subject, dict):
        return ""
    if subject.get("kind") in ("Group", "User") and subject.get("name") in ANONYMOUS:
        key = anonymous_key(binding.account)
        node = graph.node(Node(key, WORKLOAD, "Anonymous requests", binding.account, None, "kubernetes"))
        node.findings.extend(f for f in findings.get(binding.id, []) if f not in node.findings)
        return key
    if subject.get("kind") != "ServiceAccount":
        return ""
    sa = sas.get(object_uid("ServiceAccount", str(subject.get("name")), str(subject.get("namespace") or "")))
    return resource_key(sa.id) if sa is not None else ""
