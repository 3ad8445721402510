"""The Kubernetes rules' settings come from the environment, with safe defaults."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from collectors.records import ResourceRecord
from posture.rules.evaluate import RuleContext
from posture.rules.packs.kubernetes.core import kubelet_version_current
from posture.rules.packs.kubernetes.settings import DEFAULT_ALLOWED_REGISTRIES, rule_settings
from posture.rules.packs.kubernetes.workloads.hygiene import image_registry, image_registry_allowed

POD = ResourceRecord(
    "kubernetes",
    "workloads",
    "kubernetes.workloads.workload",
    "ns/Pod/p",
    "p",
    config={"kind": "Pod", "spec": {"containers": [{"name": "c", "image": "registry.acme.internal/app:1"}]}},
)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("POSTURE_K8S_ALLOWED_REGISTRIES", "POSTURE_K8S_MAX_POD_AGE_DAYS", "POSTURE_K8S_MAX_KUBELET_MINOR_LAG"):
        monkeypatch.delenv(name, raising=False)
    settings = rule_settings()
    assert settings.allowed_registries == DEFAULT_ALLOWED_REGISTRIES
    assert (settings.max_pod_age_days, settings.max_kubelet_minor_lag) == (30, 1)


def test_bad_numbers_fall_back_to_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTURE_K8S_MAX_POD_AGE_DAYS", "thirty")
    monkeypatch.setenv("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", "-2")
    assert (rule_settings().max_pod_age_days, rule_settings().max_kubelet_minor_lag) == (30, 1)


def test_the_registry_allowlist_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert image_registry_allowed(POD, RuleContext([POD])).status == "FAIL"
    monkeypatch.setenv("POSTURE_K8S_ALLOWED_REGISTRIES", "*.acme.internal, ghcr.io")
    assert image_registry_allowed(POD, RuleContext([POD])).status == "PASS"


def test_the_kubelet_lag_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    node = ResourceRecord(
        "kubernetes",
        "core",
        "kubernetes.core.node",
        "Node/n",
        "n",
        config={"status": {"nodeInfo": {"kubeletVersion": "v1.28.2"}}},
    )
    cluster = ResourceRecord(
        "kubernetes",
        "cluster",
        "kubernetes.cluster.cluster",
        "Cluster/c",
        "c",
        config={"version": {"gitVersion": "v1.30.1"}},
    )
    assert kubelet_version_current(node, RuleContext([node, cluster])).status == "FAIL"
    monkeypatch.setenv("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", "2")
    assert kubelet_version_current(node, RuleContext([node, cluster])).status == "PASS"


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("nginx", "docker.io"),
        ("library/nginx:1", "docker.io"),
        ("ghcr.io/a/b:1", "ghcr.io"),
        ("localhost:5000/x", "localhost:5000"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/x@sha256:ab", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
    ],
)
def test_image_registry(image: str, registry: str) -> None:
    assert image_registry(image) == registry


def test_manifests_from_standard_input(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(
        "sys.stdin",
        io.StringIO(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: busybox}]}\n"
        ),
    )
    with pytest.raises(CommandError) as caught:
        call_command("scan-manifests", "-", "--fail-on", "medium")
    assert caught.value.returncode == 1
    assert "<stdin>: document 1 (line 1)" in capsys.readouterr().out
