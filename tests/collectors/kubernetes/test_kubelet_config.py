"""The kubelets' configz through the node proxy, with the real client: only when the account opts in; a node
that refuses is an ERROR on its record and a failed unit, never a lost scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.kubernetes.kubelet_config import KUBELET_CONFIG_TYPE, kubelet_configuration
from collectors.kubernetes.objects import REDACTED
from collectors.kubernetes.provider import KubernetesProvider
from collectors.records import Target
from collectors.run import collect, plan
from emulators.kubernetes import KubernetesEmulator
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES
from posture.rules.verdicts import Status


def scan(provider: KubernetesProvider, kubeconfig: Path, options: frozenset[str] = frozenset()):
    target = Target("kubernetes", "demo", credentials={"kubeconfig": str(kubeconfig)}, options=options)
    session = provider.connect(target)
    return collect(provider, session, plan(provider, session, target))


def configs(collection) -> dict[str, dict]:
    return {r.name: r.config for r in collection.records if r.type == KUBELET_CONFIG_TYPE}


def test_off_by_default_no_node_proxy_call(provider, kubeconfig, emulator: KubernetesEmulator) -> None:
    collection = scan(provider, kubeconfig)
    assert configs(collection) == {}
    assert not [p for p in emulator.requests if "/proxy/" in p]


def test_opted_in_each_node_gets_its_live_kubelet_configuration(provider, kubeconfig, emulator) -> None:
    collection = scan(provider, kubeconfig, frozenset({"read-node-config"}))
    assert collection.errors == []
    found = configs(collection)
    assert set(found) == {"node-1", "node-2"}
    assert found["node-1"]["authentication"]["anonymous"]["enabled"] is False
    assert "readOnlyPort" not in found["node-1"]
    assert found["node-2"]["authentication"]["anonymous"]["enabled"] is True
    assert found["node-2"]["readOnlyPort"] == 10255
    assert "/api/v1/nodes/node-2/proxy/configz" in emulator.requests


def test_the_weak_node_fails_the_kubelet_rules_and_the_hardened_one_passes(provider, kubeconfig) -> None:
    collection = scan(provider, kubeconfig, frozenset({"read-node-config"}))
    kubelet = [r for r in collection.records if r.type == KUBELET_CONFIG_TYPE]
    results = {(r.rule_id, r.resource_uid): r.status for r in evaluate(kubelet, RULES)}
    node_1, node_2 = "KubeletConfiguration/node-1", "KubeletConfiguration/node-2"
    assert results[("kubernetes.nodes.kubelet_anonymous_auth_disabled", node_1)] == Status.PASS
    assert results[("kubernetes.nodes.kubelet_anonymous_auth_disabled", node_2)] == Status.FAIL
    assert results[("kubernetes.nodes.kubelet_read_only_port_disabled", node_2)] == Status.FAIL
    assert results[("kubernetes.nodes.kubelet_authorization_not_always_allow", node_2)] == Status.FAIL


@pytest.mark.parametrize(("failure", "kind"), [(403, "denied"), ("junk", "invalid_response")])
def test_a_refused_configz_is_an_error_for_the_unit_and_the_nodes_not_a_lost_scan(
    provider, kubeconfig, emulator, failure, kind
) -> None:
    emulator.fail["nodes/proxy"] = failure
    collection = scan(provider, kubeconfig, frozenset({"read-node-config"}))
    assert [(e.service, e.kind) for e in collection.errors] == [("nodes", kind)]
    assert "node-1, node-2" in collection.errors[0].error
    assert any(r.type == "kubernetes.workloads.workload" for r in collection.records)  # the rest is kept
    assert {r.name for r in collection.records if r.type == "kubernetes.core.node"} == {"node-1", "node-2"}
    found = configs(collection)
    assert set(found) == {"node-1", "node-2"} and all(c["_errors"]["configz"] for c in found.values())
    kubelet = [r for r in collection.records if r.type == KUBELET_CONFIG_TYPE]
    assert {r.status for r in evaluate(kubelet, RULES)} == {Status.ERROR}


def test_static_pod_url_headers_are_never_kept_and_junk_is_refused() -> None:
    body = {"kubeletconfig": {"staticPodURLHeader": {"Authorization": ["Bearer s3cret"]}}}
    assert kubelet_configuration(body)["staticPodURLHeader"] == {"Authorization": REDACTED}
    for junk in (None, [], {"kubeletconfig": "x"}, {"other": {}}):
        with pytest.raises(ValueError):
            kubelet_configuration(junk)
