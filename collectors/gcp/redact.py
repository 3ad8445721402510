"""Keep secrets out of Google Cloud records: metadata values, legacy cluster credentials, key material.

The marker and the general patterns are shared with every collector (:mod:`collectors.redact`).
"""

from __future__ import annotations

from typing import Any

from collectors.redact import REDACTED

__all__ = ["REDACTED", "metadata_items", "metadata_map", "secret_fields"]
# Instance and node metadata keys whose values are settings, not data: kept as they are.
SAFE_METADATA_KEYS = frozenset(
    {
        "block-project-ssh-keys",
        "enable-oslogin",
        "enable-oslogin-2fa",
        "enable-oslogin-sk",
        "serial-port-enable",
        "serial-port-logging-enable",
        "enable-guest-attributes",
        "disable-legacy-endpoints",
        "google-logging-enabled",
        "google-monitoring-enabled",
        "enable-os-inventory",
        "cluster-name",
        "cluster-location",
        "created-by",  # the instance group manager that made the VM: a resource path (GKE nodes are told by it)
    }
)
SECRET_FIELDS = ("password", "clientKey", "privateKeyData", "privateKey")


def metadata_items(metadata: Any) -> Any:
    """Compute ``metadata`` ({items: [{key, value}]}) with every non-setting value redacted."""
    if not isinstance(metadata, dict):
        return metadata
    items = []
    for item in metadata.get("items") or []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key", ""))
        value = item.get("value")
        items.append({"key": key, "value": value if key.lower() in SAFE_METADATA_KEYS else REDACTED})
    return {**metadata, "items": items}


def metadata_map(metadata: Any) -> Any:
    """GKE ``nodeConfig.metadata`` ({key: value}) with every non-setting value redacted."""
    if not isinstance(metadata, dict):
        return metadata
    return {k: (v if str(k).lower() in SAFE_METADATA_KEYS else REDACTED) for k, v in metadata.items()}


def secret_fields(document: Any) -> Any:
    """A copy of ``document`` with every known secret field's value replaced, at any depth."""
    if isinstance(document, dict):
        return {
            k: (REDACTED if k in SECRET_FIELDS and v not in (None, "") else secret_fields(v))
            for k, v in document.items()
        }
    if isinstance(document, list):
        return [secret_fields(v) for v in document]
    return document
