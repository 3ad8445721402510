"""The Kubernetes rules' settings come from the environment, with safe defaults."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from collectors.records import ResourceRecord
from posture.env import SettingError
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


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("POSTURE_K8S_MAX_POD_AGE_DAYS", "thirty", "POSTURE_K8S_MAX_POD_AGE_DAYS='thirty' is not a whole number"),
        ("POSTURE_K8S_MAX_POD_AGE_DAYS", "0", "POSTURE_K8S_MAX_POD_AGE_DAYS=0 is below the minimum 1"),
        ("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", "-2", "POSTURE_K8S_MAX_KUBELET_MINOR_LAG=-2 is below the minimum 0"),
        ("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", "1.5", "POSTURE_K8S_MAX_KUBELET_MINOR_LAG='1.5' is not a whole number"),
        ("POSTURE_K8S_ALLOWED_REGISTRIES", "ghcr.io/acme", "'ghcr.io/acme' is not a registry host pattern"),
        ("POSTURE_K8S_ALLOWED_REGISTRIES", "ghcr.io quay.io", "'ghcr.io quay.io' is not a registry host pattern"),
        ("POSTURE_K8S_ALLOWED_REGISTRIES", "https://ghcr.io", "'https://ghcr.io' is not a registry host pattern"),
        ("POSTURE_K8S_ALLOWED_REGISTRIES", " , ", "POSTURE_K8S_ALLOWED_REGISTRIES lists no registry"),
    ],
)
def test_bad_values_raise_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingError, match=re.escape(message)):
        rule_settings()


def test_registry_patterns_are_lower_cased_and_may_name_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTURE_K8S_ALLOWED_REGISTRIES", " *.ACME.internal ,localhost:5000,, ")
    assert rule_settings().allowed_registries == ("*.acme.internal", "localhost:5000")


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
