"""A user adds a kubeconfig cluster, scans it, and exports CIS and Pod Security Standards findings per workload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from emulators.kubernetes import KubernetesEmulator
from posture.findings.models import ComplianceSnapshot
from posture.inventory.models import CloudAccount

pytestmark = pytest.mark.django_db


def export(tmp_path: Path, *extra: str) -> list[dict]:
    out = tmp_path / "findings.json"
    call_command("findings", "export", "--account", "c1", "--format", "json", "--output", str(out), *extra)
    return json.loads(out.read_text())


def test_add_scan_export(emulator: KubernetesEmulator, kubeconfig: Path, tmp_path: Path, capsys) -> None:
    call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(kubeconfig))
    call_command("accounts", "test", "c1")
    assert CloudAccount.objects.get(name="c1").external_id == "6a1f3c2e-0000-4000-8000-00000000c0de"
    call_command("scan", "c1")
    rows = export(tmp_path, "--status", "FAIL")
    failing = {(row["rule"], row["resource"]["uid"]) for row in rows}
    assert ("kubernetes.workloads.privileged_containers", "legacy/Deployment/miner") in failing
    assert ("kubernetes.workloads.host_network", "legacy/Deployment/miner") in failing
    assert ("kubernetes.rbac.cluster_admin_bound_narrowly", "ClusterRoleBinding/ci-admin") in failing
    assert ("kubernetes.rbac.node_proxy_minimized", "ClusterRole/node-debugger") in failing
    assert not any(rule.startswith("kubernetes.rbac.") and uid.endswith("/cluster-admin") for rule, uid in failing)
    assert ("kubernetes.core.namespace_has_network_policy", "Namespace/legacy") in failing
    # the hardened web workload fails nothing but the image-scan rules (no scanner has seen its image here)
    web = {rule for rule, uid in failing if uid == "shop/Deployment/web"}
    assert web == {"kubernetes.image_vulnerabilities.scan_current"}
    assert not any("/Pod/miner" in uid or "ReplicaSet" in uid for _, uid in failing)  # workloads, not pods
    pss = export(tmp_path, "--framework", "k8s-pod-security-standards", "--status", "FAIL")
    assert {row["rule"] for row in pss} >= {
        "kubernetes.workloads.privileged_containers",
        "kubernetes.workloads.run_as_non_root",
    }
    frameworks = set(ComplianceSnapshot.objects.values_list("framework_id", flat=True))
    assert {"cis-kubernetes-2.0", "k8s-pod-security-standards", "nist-sp-800-190"} <= frameworks
    nist = dict(ComplianceSnapshot.objects.filter(framework_id="nist-sp-800-190").values_list("control_id", "status"))
    assert nist["4.4.3"] == "fail"  # the privileged miner: insecure container runtime configuration
    assert nist["4.2.3"] == "not_evaluated"  # registry controls are for the clouds' registries


def test_a_malformed_kubeconfig_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("clusters: [\n")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("accounts", "add", "kubernetes", "--name", "c1", "--kubeconfig", str(bad))
    assert not CloudAccount.objects.exists()
