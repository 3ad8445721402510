"""The Kubernetes emulator on a free loopback port, and a kubeconfig pointing at it; a managed cluster's
API server (TLS, reviewing cloud tokens) for the cloud-identity tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import collectors.kubernetes  # noqa: F401  (registers the provider and collectors)
from collectors import REGISTRY
from collectors.kubernetes.provider import KubernetesProvider, KubernetesSession
from collectors.records import Target
from emulators.kubernetes import KubernetesEmulator, demo_estate
from emulators.kubernetes.tls import TlsMaterial, make_tls_material
from tests.collectors.aws.conftest import aws_env, moto_server, server_url  # noqa: F401  (the EKS tests use moto)


@pytest.fixture
def emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(demo_estate()) as emu:
        yield emu


@pytest.fixture
def kubeconfig(emulator: KubernetesEmulator, tmp_path: Path) -> Path:
    return emulator.write_kubeconfig(tmp_path / "kubeconfig", context="demo")


@pytest.fixture
def provider() -> KubernetesProvider:
    return REGISTRY.provider("kubernetes")


@pytest.fixture
def session(provider: KubernetesProvider, kubeconfig: Path) -> KubernetesSession:
    """A session with tiny pages, so every list is paged."""
    session = provider.connect(Target("kubernetes", "demo", credentials={"kubeconfig": str(kubeconfig)}))
    session.page_size = 2
    return session


@pytest.fixture(scope="module")
def tls() -> TlsMaterial:
    return make_tls_material()


@pytest.fixture
def cluster(tls: TlsMaterial) -> Iterator[KubernetesEmulator]:
    """A managed cluster's API server: https with its own CA, no static token; tests add token reviewers."""
    with KubernetesEmulator(demo_estate(), token="", tls=tls) as emu:
        yield emu
