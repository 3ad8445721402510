"""Kubernetes: any cluster reachable by kubeconfig; workloads, RBAC, network policy, secrets metadata, nodes."""

from collectors.kubernetes.provider import KubernetesProvider
from collectors.registry import REGISTRY

# the collectors (and the Kubernetes client) are imported on the first REGISTRY.collectors("kubernetes")
SERVICE_MODULES = ("cluster_objects", "workloads")
PROVIDER = REGISTRY.add_provider(KubernetesProvider(), [f"{__name__}.{m}" for m in SERVICE_MODULES])
