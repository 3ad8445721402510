"""Each node's live kubelet configuration, read through the API server's node proxy (opt-in).

``GET /api/v1/nodes/NAME/proxy/configz`` answers ``{"kubeletconfig": {...}}``: the kubelet's own
KubeletConfiguration as it runs (flags and config file merged, defaults filled in). Reading it needs
``get`` on ``nodes/proxy``, which also reaches the rest of the kubelet API (exec into any pod on the
node): so the collector runs only for accounts that opt in (label ``read-node-config=true``, set by
``accounts add --read-node-config``); otherwise it yields nothing.

One record per node (``kubernetes.nodes.kubelet_config``). A node whose configz cannot be read still
gets its record, with the reason under ``_errors.configz`` (its rules say ERROR, not FAIL), and the unit
fails at the end with every such node named, so the scan shows it as partial and keeps the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubernetes import client

from collectors.cluster_access import ClusterAccessError
from collectors.failures import describe
from collectors.kubernetes.objects import PROVIDER_NAME, REDACTED, object_uid
from collectors.kubernetes.paging import list_metadata
from collectors.kubernetes.provider import KubernetesSession
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.registry import REGISTRY

KUBELET_CONFIG_TYPE = "kubernetes.nodes.kubelet_config"
READ_NODE_CONFIG = "read-node-config"  # the account label (and option) that opts in
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


@REGISTRY.collector(PROVIDER_NAME, "kubeletconfig", regional=False)
def collect_kubelet_configs(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    if not session.read_node_config:
        return
    failures: list[tuple[str, Exception]] = []
    for node in list_metadata(session, "/api/v1/nodes", "Node", "v1"):
        name = str((node.get("metadata") or {}).get("name") or "")
        if not name:
            continue
        try:
            yield _record(name, read_configz(session, name))
        except Exception as exc:  # one node's kubelet is that node's problem
            kind = REGISTRY.provider(PROVIDER_NAME).classify_error(exc)
            failures.append((name, kind))
            yield _record(name, {"_errors": {"configz": describe(exc, kind)}})
    if failures:
        more = f" and {len(failures) - 10} more" if len(failures) > 10 else ""
        names = ", ".join(n for n, _ in failures[:10]) + more
        raise NodeConfigUnreadable(f"the kubelet configuration of {names} could not be read", failures[0][1])
