"""Microsoft Azure: credentials, subscriptions, and the Resource Manager collectors."""

import logging

from collectors.azure.provider import AzureProvider
from collectors.registry import REGISTRY

# the service collectors (and the management SDKs) are imported on the first REGISTRY.collectors("azure")
SERVICE_MODULES = (
    "aks",
    "authorization",
    "compute",
    "containerregistry",
    "databricks",
    "entra",
    "image_scans",
    "keyvault",
    "managedidentity",
    "monitor",
    "network",
    "security",
    "storage",
)
PROVIDER = REGISTRY.add_provider(AzureProvider(), [f"{__name__}.{m}" for m in SERVICE_MODULES])
# azure-core logs every request and response at INFO: far too loud for a scan of hundreds of calls.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
logging.getLogger("azure.identity").setLevel(logging.WARNING)

__all__ = ["PROVIDER", "SERVICE_MODULES"]
