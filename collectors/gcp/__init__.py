"""Google Cloud: credentials and project scope, and the service collectors (REST transport)."""

from collectors.gcp.provider import GcpProvider
from collectors.registry import REGISTRY

# the service collectors (and the Google client libraries) are imported on the first REGISTRY.collectors("gcp")
SERVICE_MODULES = (
    "access_approval",
    "apikeys",
    "appengine",
    "bigquery",
    "cloud_functions",
    "cloud_logging",
    "compute",
    "container",
    "dataproc",
    "dns",
    "essential_contacts",
    "iam",
    "image_scans",
    "kms",
    "load_balancing",
    "org_policy",
    "private_service_connect",
    "resourcemanager",
    "sql",
    "storage",
    "vpc_service_controls",
)
PROVIDER = REGISTRY.add_provider(GcpProvider(), [f"{__name__}.{m}" for m in SERVICE_MODULES])

__all__ = ["PROVIDER", "SERVICE_MODULES"]
