"""Each node's live kubelet configuration, read through the API server's node proxy (opt-in).

``GET /api/v1/nodes/NAME/proxy/configz`` answers ``{"kubeletconfig": {...}}``: the kubelet's own
KubeletConfiguration as it runs (flags and config file merged, defaults filled in). Reading it needs
``get`` on ``nodes/proxy``, which also reaches the rest of the kubelet API (exec into any pod on the
node): so the collector runs only for accounts that opt in (label ``read-node-config=true``, set by
``accounts add --read-node-config``); otherwise it yields nothing.

One record per node (``kubernetes.nodes.kubelet_config``), read by the ``nodes`` collector after it
listed the nodes (no unit of its own: a unit that reads nothing would make a denied scan look partial).
A node whose configz cannot be read still gets its record, with the reason under ``_errors.configz`` (its
rules say ERROR, not FAIL), and the unit fails at the end with every such node named, so the scan shows
it as partial and keeps the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubernetes import client

from collectors.cluster_access import ClusterAccessError
from collectors.failures import describe
from collectors.kubernetes.objects import PROVIDER_NAME, REDACTED, object_uid
from collectors.kubernetes.provider import KubernetesSession
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.registry import REGISTRY

KUBELET_CONFIG_TYPE = "kubernetes.nodes.kubelet_config"
NODE_WORKERS = 8  # configz calls in flight at once: one per node, each a round trip through the API server
SECRET_FIELDS = ("staticPodURLHeader",)  # HTTP headers the kubelet sends for static pods: may hold tokens


class NodeConfigUnreadable(ClusterAccessError):
    """Some nodes' configz could not be read; ``kind`` is the first failure's (``denied`` without nodes/proxy)."""


def kubelet_configuration(body: Any) -> dict[str, Any]:
    """The KubeletConfiguration inside a configz answer, with header values redacted."""
    if not isinstance(body, dict) or not isinstance(body.get("kubeletconfig"), dict):
        raise ValueError("the configz answer has no kubeletconfig object")
    config = dict(body["kubeletconfig"])
    for name in SECRET_FIELDS:
        if isinstance(config.get(name), dict):
            config[name] = {str(k): REDACTED for k in config[name]}
    return config


def _record(node: str, config: dict[str, Any]) -> ResourceRecord:
    return ResourceRecord(
        provider=PROVIDER_NAME,
        service="nodes",
        type=KUBELET_CONFIG_TYPE,
        uid=object_uid("KubeletConfiguration", node),
        name=node,
        region=GLOBAL_REGION,
        config={"kind": "KubeletConfiguration", "node": node, **config},
    )


def read_configz(session: KubernetesSession, node: str) -> dict[str, Any]:
    core = session.api(client.CoreV1Api)
    return kubelet_configuration(session.get_json(core.connect_get_node_proxy_with_path, node, "configz"))


def _read_one(session: KubernetesSession, node: str) -> tuple[ResourceRecord, str]:
    """The node's record and, when configz could not be read, the error's kind ('' when it was)."""
    try:
        return _record(node, read_configz(session, node)), ""
    except Exception as exc:  # one node's kubelet is that node's problem
        kind = REGISTRY.provider(PROVIDER_NAME).classify_error(exc)
        return _record(node, {"_errors": {"configz": describe(exc, kind)}}), kind


def kubelet_configs(session: KubernetesSession, nodes: list[str]) -> Iterator[ResourceRecord]:
    """Each node's kubelet configuration, when the account opted in (else nothing): called by the nodes
    collector with the names it listed, so a refused configz fails that unit after the nodes are kept."""
    if not session.read_node_config:
        return
    failures: list[tuple[str, str]] = []  # (node, error kind)
    with ThreadPoolExecutor(max_workers=NODE_WORKERS, thread_name_prefix="configz") as pool:
        for node, (record, kind) in zip(nodes, pool.map(lambda n: _read_one(session, n), nodes), strict=True):
            if kind:
                failures.append((node, kind))
            yield record
    if failures:
        more = f" and {len(failures) - 10} more" if len(failures) > 10 else ""
        names = ", ".join(n for n, _ in failures[:10]) + more
        raise NodeConfigUnreadable(f"the kubelet configuration of {names} could not be read", failures[0][1])
