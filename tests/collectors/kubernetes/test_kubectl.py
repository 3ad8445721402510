"""kubectl (when installed) reads the emulator too: discovery, paged lists, metadata-only tables."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from emulators.kubernetes import KubernetesEmulator, demo_estate

KUBECTL = shutil.which("kubectl")


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_lists_pages_of_pods(tmp_path: Path) -> None:
    # kubectl sends no bearer token to a plain-http server, so this emulator asks for none
    with KubernetesEmulator(demo_estate(), token="") as emulator:
        config = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        result = subprocess.run(
            [KUBECTL, "--kubeconfig", str(config), "get", "pods", "-A", "--chunk-size=3", "-o", "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert sorted(result.stdout.split()) == sorted(
            f"pod/{p['metadata']['name']}" for p in emulator.estate.objects("Pod")
        )
        pod_pages = [p for p in emulator.requests if p.startswith("/api/v1/pods?")]
        assert len(pod_pages) == 3 and sum("continue=" in p for p in pod_pages) == 2  # 8 pods, 3 a page


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed")
def test_kubectl_over_tls_with_a_token(tmp_path: Path) -> None:
    from emulators.kubernetes.tls import make_tls_material

    with KubernetesEmulator(demo_estate(), tls=make_tls_material()) as emulator:
        config = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        result = subprocess.run(
            [KUBECTL, "--kubeconfig", str(config), "get", "clusterrolebindings", "-o", "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "clusterrolebinding.rbac.authorization.k8s.io/ci-admin" in result.stdout.split()
