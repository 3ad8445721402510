"""The Kubernetes emulator on a free loopback port, and a kubeconfig pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import collectors.kubernetes  # noqa: F401  (registers the provider and collectors)
from collectors import REGISTRY
from collectors.kubernetes.provider import KubernetesProvider, KubernetesSession
from collectors.records import Target
from emulators.kubernetes import KubernetesEmulator, demo_estate


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
