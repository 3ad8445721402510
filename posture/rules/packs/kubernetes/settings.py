"""Settings the Kubernetes rules read from the environment (rules know no Django), with safe defaults.

- ``POSTURE_K8S_ALLOWED_REGISTRIES``: comma-separated registry host patterns (``host[:port]``, ``*`` and ``?``
  wildcards) images may come from; images without a registry host come from ``docker.io``.
- ``POSTURE_K8S_MAX_POD_AGE_DAYS``: pods running longer than this are flagged (default 30, at least 1).
- ``POSTURE_K8S_MAX_KUBELET_MINOR_LAG``: how many minor versions a kubelet may trail the control plane
  (default 1, at least 0).
- ``POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS``: a running image's vulnerability scan older than this is stale
  (default 30, at least 1).
- ``POSTURE_K8S_IMAGE_MAX_AGE_DAYS``: an image built or pushed longer ago than this is flagged (default 180,
  at least 1).

They go through the typed readers of ``posture.env``: a bad value raises ``SettingError`` naming the variable
and the expected form. Django's settings read them once so that the process stops at start-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from posture.env import SettingError, env_int, env_list

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
REGISTRY_PATTERN = re.compile(r"[a-z0-9*?.-]+(:[0-9*?]+)?")


@dataclass(frozen=True, slots=True)
class K8sRuleSettings:
    allowed_registries: tuple[str, ...]
    max_pod_age_days: int
    max_kubelet_minor_lag: int
    image_scan_max_age_days: int
    image_max_age_days: int


def allowed_registries() -> tuple[str, ...]:
    """The registry host patterns, lower-cased; unset or blank gives the defaults."""
    name = "POSTURE_K8S_ALLOWED_REGISTRIES"
    patterns = tuple(p.lower() for p in env_list(name, list(DEFAULT_ALLOWED_REGISTRIES)))
    if not patterns:
        raise SettingError(f"{name} lists no registry (leave it empty for the defaults)")
    for pattern in patterns:
        if not REGISTRY_PATTERN.fullmatch(pattern):
            raise SettingError(
                f"{name}: {pattern!r} is not a registry host pattern"
                " (host[:port] with * and ? wildcards, no path; e.g. ghcr.io,*.azurecr.io)"
            )
    return patterns


def rule_settings() -> K8sRuleSettings:
    """The current settings; read on each call so a changed environment takes effect without a restart."""
    return K8sRuleSettings(
        allowed_registries=allowed_registries(),
        max_pod_age_days=env_int("POSTURE_K8S_MAX_POD_AGE_DAYS", 30, minimum=1),
        max_kubelet_minor_lag=env_int("POSTURE_K8S_MAX_KUBELET_MINOR_LAG", 1, minimum=0),
        image_scan_max_age_days=env_int("POSTURE_K8S_IMAGE_SCAN_MAX_AGE_DAYS", 30, minimum=1),
        image_max_age_days=env_int("POSTURE_K8S_IMAGE_MAX_AGE_DAYS", 180, minimum=1),
    )
