"""Every Kubernetes rule passes and fails somewhere on emulator clusters, collected with the real client."""

from __future__ import annotations

from collections import defaultdict

import pytest

from collectors.kubernetes.provider import KubernetesProvider
from collectors.records import Target
from collectors.run import collect, plan
from emulators.kubernetes import KubernetesEmulator, demo_estate, large_estate
from emulators.kubernetes.scenario_boundaries import single_namespace_estate
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES


def scan_estate(provider: KubernetesProvider, estate, tmp_path, name: str) -> list:
    with KubernetesEmulator(estate) as emulator:
        path = emulator.write_kubeconfig(tmp_path / f"{name}.kubeconfig", context=name)
        target = Target(
            "kubernetes", name, credentials={"kubeconfig": str(path)}, options=frozenset({"read-node-config"})
        )
        session = provider.connect(target)
        collection = collect(provider, session, plan(provider, session, target))
    assert collection.errors == []
    return list(evaluate(collection.records))


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, list]:
    from collectors import REGISTRY

    provider = REGISTRY.provider("kubernetes")
    tmp = tmp_path_factory.mktemp("clusters")
    return {
        "demo": scan_estate(provider, demo_estate(), tmp, "demo"),
        "large": scan_estate(provider, large_estate(namespaces=4, pods=40), tmp, "large"),
        "one-namespace": scan_estate(provider, single_namespace_estate(), tmp, "one-namespace"),
    }


def test_every_kubernetes_rule_both_passes_and_fails_on_emulated_clusters(results) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for cluster in results.values():
        for r in cluster:
            seen[r.rule_id].add(str(r.status))
    # the image-vulnerability rules judge what the scan pipeline attaches from stored scan results
    # (``_imageScans``); tests/images runs them through the pipeline
    kubernetes_rules = [
        r.id for r in RULES if r.provider == "kubernetes" and not r.id.startswith("kubernetes.image_vulnerabilities.")
    ]
    missing = {rule_id: sorted(seen[rule_id]) for rule_id in kubernetes_rules if not {"PASS", "FAIL"} <= seen[rule_id]}
    assert not missing
    assert not any(r.status == "ERROR" for cluster in results.values() for r in cluster)


def test_the_demo_cluster_fails_where_it_was_neglected(results) -> None:
    failing = {(r.rule_id, r.resource_uid) for r in results["demo"] if r.status == "FAIL"}
    expected = {
        ("kubernetes.workloads.privileged_containers", "legacy/Deployment/miner"),
        ("kubernetes.workloads.host_pid", "legacy/Deployment/miner"),
        ("kubernetes.workloads.host_ipc", "legacy/CronJob/backup"),
        ("kubernetes.workloads.image_registry_allowed", "legacy/Deployment/miner"),
        ("kubernetes.workloads.pods_recently_replaced", "legacy/Deployment/miner"),
        ("kubernetes.workloads.not_in_default_namespace", "default/Pod/debug"),
        ("kubernetes.rbac.cluster_admin_bound_narrowly", "ClusterRoleBinding/ci-admin"),
        ("kubernetes.rbac.no_anonymous_bindings", "ClusterRoleBinding/anonymous-view"),
        ("kubernetes.rbac.node_proxy_minimized", "ClusterRole/node-debugger"),
        ("kubernetes.rbac.pod_exec_minimized", "ClusterRole/node-debugger"),
        ("kubernetes.rbac.token_creation_minimized", "legacy/Role/everything"),
        ("kubernetes.core.namespace_has_network_policy", "Namespace/legacy"),
        ("kubernetes.core.kubelet_version_current", "Node/node-2"),
        ("kubernetes.core.configmap_holds_no_secrets", "legacy/ConfigMap/app-config"),
        ("kubernetes.rbac.no_authenticated_bindings", "legacy/RoleBinding/all-users-view"),
        ("kubernetes.networking.ingress_google_managed_certificates", "legacy/Ingress/admin"),
    }
    assert expected <= failing
    hardened = {rule for rule, uid in failing if uid == "shop/Deployment/web"}
    assert hardened == set()
    miner = next(
        r
        for r in results["demo"]
        if r.rule_id == "kubernetes.workloads.privileged_containers" and r.resource_uid == "legacy/Deployment/miner"
    )
    assert {e.path: e.value for e in miner.evidence}["_pods"] == ["miner-7d4b9c-00000"]


def test_boundaries_pass_on_the_demo_and_fail_where_everything_shares_default(results) -> None:
    def verdict(cluster: str) -> str:
        found = [r for r in results[cluster] if r.rule_id == "kubernetes.cluster.workloads_separated_by_namespace"]
        assert len(found) == 1, found
        return str(found[0].status)

    assert (verdict("demo"), verdict("one-namespace")) == ("PASS", "FAIL")
    failing = {(r.rule_id, r.resource_uid) for r in results["one-namespace"] if r.status == "FAIL"}
    assert ("kubernetes.core.node_has_no_public_ip", "Node/ip-10-0-1-20.ec2.internal") in failing
    assert ("kubernetes.core.aws_auth_grants_no_system_masters", "kube-system/ConfigMap/aws-auth") in failing
    assert ("kubernetes.cluster.network_policies_enforced", "Cluster/demo") in {
        (r.rule_id, r.resource_uid) for r in results["demo"] if r.status == "FAIL"
    }  # policies written in shop, and nothing on the nodes to enforce them
