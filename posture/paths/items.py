"""The plain data an exposure graph is built from and made of: no Django here, so the builder, the search and
the benchmark run on any list of stored resources.

An :class:`Item` is one stored resource; a :class:`HopFinding` one of its findings; a :class:`ClusterLink`
says which cloud account and cloud resource a ``kubernetes`` account's cluster is (``--via`` accounts, or
kubeconfig accounts labelled ``platform`` and ``cluster``). The graph's nodes are keyed by resource
(``r<id>``) or, for what no single resource stands for, by a virtual key (``internet``, ``k8s-secrets:<account>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

INTERNET = "internet"

# Node kinds, in the order a path walks them.
ENTRY, ROUTE, WORKLOAD, SERVICE_ACCOUNT, IDENTITY, TARGET = (
    "entry",
    "route",
    "workload",
    "service_account",
    "identity",
    "target",
)
# What a target is: the order is the blast radius, worst first.
TARGET_KINDS = ("admin", "secrets", "data")
FOOTHOLD_SEVERITIES = ("critical", "high")
# More targets of one kind than this behind one identity are one hop ("412 S3 buckets"), weighted by their number.
MAX_LISTED_TARGETS = 20


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    account: int
    provider: str
    type: str
    uid: str
    name: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class HopFinding:
    id: int
    rule_id: str
    severity: str
    muted: bool = False
    mute_reason: str = ""
    category: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "muted": self.muted,
            "mute_reason": self.mute_reason,
        }


@dataclass(frozen=True, slots=True)
class ClusterLink:
    """A ``kubernetes`` account's cluster in its cloud: the cloud account and the cluster's resource uid
    (or, for a label-only link, its name)."""

    account: int
    cloud_account: int | None
    platform: str
    cluster: str


@dataclass(slots=True)
class Node:
    key: str
    kind: str
    label: str
    account: int | None = None
    resource: int | None = None
    provider: str = ""
    target_kind: str = ""  # for targets: admin, secrets or data
    findings: list[HopFinding] = field(default_factory=list)
    weight: int = 1  # how many resources the node stands for (a grouped target)

    @property
    def foothold(self) -> bool:
        """A workload or machine an attacker can stand on: it fails a critical or high rule (muted or not). An
        exposure finding (a public address, say) tells how it is reached, not that it is weak: it does not count."""
        return any(f.severity in FOOTHOLD_SEVERITIES and f.category != "exposure" for f in self.findings)


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: str
    detail: str = ""


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    out: dict[str, list[Edge]] = field(default_factory=dict)
    _seen: set[tuple[str, str, str]] = field(default_factory=set)

    def node(self, node: Node) -> Node:
        return self.nodes.setdefault(node.key, node)

    def link(self, source: str, target: str, kind: str, detail: str = "") -> None:
        if source not in self.nodes or target not in self.nodes or source == target:
            return
        if (source, target, kind) in self._seen:
            return
        self._seen.add((source, target, kind))
        edge = Edge(source, target, kind, detail)
        self.edges.append(edge)
        self.out.setdefault(source, []).append(edge)


def resource_key(item_id: int) -> str:
    return f"r{item_id}"


def target_node(graph: Graph, item: Item, target_kind: str, label: str) -> str:
    """The resource as a target of ``target_kind`` (the worst kind wins when two edges name it)."""
    key = resource_key(item.id)
    node = graph.nodes.get(key)
    if node is None:
        graph.nodes[key] = Node(key, TARGET, label, item.account, item.id, item.provider, target_kind)
    elif node.kind == TARGET and TARGET_KINDS.index(target_kind) < TARGET_KINDS.index(node.target_kind):
        node.target_kind, node.label = target_kind, label
    return key


def many_targets(graph: Graph, key: str, target_kind: str, label: str, owner: Item) -> str:
    """A virtual target standing for many resources of ``owner``'s account (no single resource to link to)."""
    graph.node(Node(key, TARGET, label, owner.account, None, owner.provider, target_kind))
    return key
