"""Google Cloud: credentials and project scope, and the service collectors (REST transport)."""

from collectors.gcp.provider import GcpProvider
from collectors.registry import REGISTRY

PROVIDER = REGISTRY.add_provider(GcpProvider())

from collectors.gcp import (  # noqa: E402  (the collectors register themselves on import)
    cloud_logging,
    compute,
    container,
    iam,
    image_scans,
    kms,
    resourcemanager,
    storage,
)

__all__ = [
    "PROVIDER",
    "cloud_logging",
    "compute",
    "container",
    "iam",
    "image_scans",
    "kms",
    "resourcemanager",
    "storage",
]
