"""Microsoft Azure: credentials, subscriptions, and the Resource Manager collectors."""

import logging

from collectors.azure.provider import AzureProvider
from collectors.registry import REGISTRY

PROVIDER = REGISTRY.add_provider(AzureProvider())
# azure-core logs every request and response at INFO: far too loud for a scan of hundreds of calls.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
logging.getLogger("azure.identity").setLevel(logging.WARNING)

from collectors.azure import (  # noqa: E402  (collectors register themselves on import)
    aks,
    authorization,
    containerregistry,
    image_scans,
    keyvault,
    monitor,
    network,
    security,
    storage,
)

__all__ = [
    "PROVIDER",
    "aks",
    "authorization",
    "containerregistry",
    "image_scans",
    "keyvault",
    "monitor",
    "network",
    "security",
    "storage",
]
