"""Kubernetes: any cluster reachable by kubeconfig; workloads, RBAC, network policy, secrets metadata, nodes."""

from collectors.kubernetes.provider import KubernetesProvider
from collectors.registry import REGISTRY

PROVIDER = REGISTRY.add_provider(KubernetesProvider())

from collectors.kubernetes import cluster_objects, workloads  # noqa: E402,F401  (registers the collectors)
