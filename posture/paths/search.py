"""Paths through the exposure graph, in plain Python: entry -> foothold -> identity -> target.

1. From the internet, a breadth-first walk through entries and routes (Ingress -> Service) to the workloads
   they reach; each workload keeps its shortest way in, and how many ways in it has.
2. A reached workload is a foothold when it fails a critical or high rule; from it a depth-first walk goes
   through its service account and cloud identities to the targets (at most :data:`MAX_DEPTH` hops).
3. One path per (way from the foothold to a target): the same foothold, identities and target reached through
   another entry is the same path (its ``entries`` counts the ways in). Ranked by blast radius: what the target
   is (admin first, then secrets, then data) and how many targets the foothold reaches.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field

from posture.paths.items import ENTRY, INTERNET, ROUTE, TARGET, WORKLOAD, Edge, Graph, Node

MAX_DEPTH = 4
BASE_RANK = {"admin": 80, "secrets": 50, "data": 40}
MAX_REACH_BONUS = 19


@dataclass
class FoundPath:
    key: str
    nodes: list[Node]
    edges: list[Edge]
    target_kind: str
    rank: int
    entries: int = 1
    reach: int = 1
    accounts: set[int] = field(default_factory=set)

    @property
    def title(self) -> str:
        return f"{self.nodes[1].label} -> {self.nodes[-1].label}"


def ways_in(graph: Graph) -> dict[str, tuple[list[Edge], int]]:
    """Per reachable workload: its shortest chain of edges from the internet, and how many entries reach it."""
    first: dict[str, list[Edge]] = {INTERNET: []}
    entries: dict[str, set[str]] = {}
    queue = deque([INTERNET])
    while queue:
        key = queue.popleft()
        for edge in graph.out.get(key, ()):
            node = graph.nodes[edge.target]
            if node.kind not in (ENTRY, ROUTE, WORKLOAD):
                continue
            chain = [*first[key], edge]
            entry = chain[0].target
            if node.kind == WORKLOAD:
                entries.setdefault(node.key, set()).add(entry)
            if node.key in first:
                continue
            first[node.key] = chain
            if node.kind != WORKLOAD:
                queue.append(node.key)
    return {k: (first[k], len(entries[k])) for k in entries}


def onward(graph: Graph, start: str) -> list[list[Edge]]:
    """Every chain of edges from ``start`` to a target, through service accounts and identities."""
    found: list[list[Edge]] = []
    stack: list[tuple[str, list[Edge]]] = [(start, [])]
    while stack:
        key, chain = stack.pop()
        for edge in graph.out.get(key, ()):
            node = graph.nodes[edge.target]
            if node.kind in (ENTRY, ROUTE, WORKLOAD) or any(e.source == edge.target for e in chain):
                continue
            if node.kind == TARGET:
                found.append([*chain, edge])
            elif len(chain) + 1 < MAX_DEPTH:
                stack.append((edge.target, [*chain, edge]))
    return found


def path_key(nodes: list[Node]) -> str:
    """Stable across scans: the hops from the foothold on (the same way to the same target is one path)."""
    start = next(i for i, n in enumerate(nodes) if n.kind == WORKLOAD)
    return hashlib.sha256("|".join(n.key for n in nodes[start:]).encode()).hexdigest()[:40]


def find_paths(graph: Graph) -> list[FoundPath]:
    """Every path from the internet through a foothold to a target, best-ranked first, deduplicated."""
    paths: dict[str, FoundPath] = {}
    for workload, (way_in, entries) in ways_in(graph).items():
        if not graph.nodes[workload].foothold:
            continue
        chains = onward(graph, workload)
        reach = sum(graph.nodes[t].weight for t in {c[-1].target for c in chains})
        for chain in chains:
            edges = [*way_in, *chain]
            nodes = [graph.nodes[INTERNET], *(graph.nodes[e.target] for e in edges)]
            target = nodes[-1]
            rank = BASE_RANK.get(target.target_kind, 0) + min(reach, MAX_REACH_BONUS + 1) - 1
            key = path_key(nodes)
            accounts = {n.account for n in nodes if n.account is not None}
            if key not in paths or rank > paths[key].rank:
                paths[key] = FoundPath(key, nodes, edges, target.target_kind, rank, entries, reach, accounts)
    return sorted(paths.values(), key=lambda p: (-p.rank, p.title, p.key))
