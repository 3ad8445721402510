"""Managed clusters the demo scans inside with their cloud account's identity (``accounts add kubernetes --via``).

A cloud emulator reports the cluster's API server at a local TLS Kubernetes emulator (see
:class:`ClusterServer`), which accepts the cloud account's own token as the real cluster would accept
its identity. The ``kubernetes`` account is added *via* the cloud account right after that account's
first scan, as a user would: the cluster has to be in its inventory first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from posture.inventory.clusters import ClusterAccountInput, add_cluster_account
from posture.inventory.models import CloudAccount


@dataclass(frozen=True)
class InsideSpec:
    name: str  # the kubernetes account
    via: str  # the cloud account whose identity reaches the cluster
    cluster: str  # the cluster reference (`accounts clusters` lists them)


class ClusterServer:
    """A managed cluster's API server: a Kubernetes emulator on https with its own CA, no static token,
    accepting the bearer tokens given (a cloud access token -> the Kubernetes user it maps to)."""

    def __init__(self, estate: Callable[[int], Any], tokens: dict[str, str]) -> None:
        from emulators.kubernetes.cloud_auth import StaticTokens
        from emulators.kubernetes.server import KubernetesEmulator
        from emulators.kubernetes.tls import make_tls_material

        self._estate = estate
        self.tls = make_tls_material()
        self.emulator = KubernetesEmulator(estate(0), token="", tls=self.tls, reviewers=[StaticTokens(dict(tokens))])

    @property
    def url(self) -> str:  # known before start: the port is bound when the emulator is made
        return self.emulator.url

    def start(self) -> None:
        self.emulator.start()

    def apply(self, step: int) -> None:
        self.emulator.estate = self._estate(step)

    def stop(self) -> None:
        self.emulator.stop()


def add_inside(spec: InsideSpec, labels: dict[str, str]) -> CloudAccount | None:
    """Add the cluster as a kubernetes account via its cloud account; None if it is there already, or if the
    cloud account is missing or has not found the cluster yet (then it is added after that account's next scan)."""
    if CloudAccount.objects.filter(name=spec.name).exists():
        return None
    cloud = CloudAccount.objects.filter(name=spec.via).first()
    if cloud is None or not cloud.resources.exists():
        return None
    return add_cluster_account(
        ClusterAccountInput(name=spec.name, via=cloud, cluster=spec.cluster, labels=dict(labels)), source="cli"
    )
