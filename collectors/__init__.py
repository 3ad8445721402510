"""Provider collectors: SDK calls in, ``ResourceRecord``s out. No Django here.

Import a provider package (``collectors.aws`` ...) to register its provider
in :data:`collectors.registry.REGISTRY`; that loads no SDK. Its collector
modules (and the SDK) are imported on the first ``REGISTRY.collectors(name)``.
"""

from collectors.records import CollectionError, ResourceRecord, Target
from collectors.registry import REGISTRY, Provider, Registry

__all__ = ["REGISTRY", "CollectionError", "Provider", "Registry", "ResourceRecord", "Target"]


def load_providers() -> list[str]:
    """Import every provider package under ``collectors`` so that each registers itself (no SDK is loaded)."""
    import importlib
    import pkgutil

    loaded = []
    for info in pkgutil.iter_modules(__path__):
        if info.ispkg:
            importlib.import_module(f"{__name__}.{info.name}")
            loaded.append(info.name)
    return loaded
