"""Settings the Kubernetes rules read from the environment (rules know no Django), with safe defaults.

- ``POSTURE_K8S_ALLOWED_REGISTRIES``: comma-separated registry host patterns (shell globs) images may come
  from; images without a registry host come from ``docker.io``.
- ``POSTURE_K8S_MAX_POD_AGE_DAYS``: pods running longer than this are flagged (default 30).
- ``POSTURE_K8S_MAX_KUBELET_MINOR_LAG``: how many minor versions a kubelet may trail the control plane (default 1).
- ``POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS``: a running image's vulnerability scan older than this is stale (default 30).
- ``POSTURE_K8S_IMAGE_MAX_AGE_DAYS``: an image built or pushed longer ago than this is flagged (default 180).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_ALLOWED_REGISTRIES = (
    "registry.k8s.io",
    "docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "*.gcr.io",
    "*.pkg.dev",
    "mcr.microsoft.com",
    "*.azurecr.io",
    "public.ecr.aws",
    "*.dkr.ecr.*.amazonaws.com",
)


@dataclass(frozen=True, slots=True)
class K8sRuleSettings:
    allowed_registries: tuple[str, ...]
    max_pod_age_days: int
    max_kubelet_minor_lag: int
    image_scan_max_age_days: int
    image_max_age_days: int


def _int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value >= minimum else default


def rule_settings() -> K8sRuleSettings:
    """The current settings; read on each call so a changed environment takes effect without a restart."""
    raw = os.environ.get("POSTURE_K8S_ALLOWED_REGISTRIES", "").strip()
    registries = tuple(p.strip().lower() for p in raw.split(",") if p.strip()) if raw else DEFAULT_ALLOWED_REGISTRIES
    return K8sRuleSettings(
        allowed_registries=registries,
        max_pod_age_days=_int("POSTURE_K8S_MAX_POD_AGE_DAYS", 30, minimum=1),
        max_kubelet_minor_lag=_int("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", 1),
        image_scan_max_age_days=_int("POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS", 30, minimum=1),
        image_max_age_days=_int("POSTURE_K8S_IMAGE_MAX_AGE_DAYS", 180, minimum=1),
    )
