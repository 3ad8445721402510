"""Small helpers the Azure rule modules share: ARM ``properties``, diagnostic settings, private endpoints."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.verdicts import Verdict, check, lookup, observed

LOG_DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")
OPEN_SOURCES = {"*", "0.0.0.0", "0.0.0.0/0", "internet", "any", "::/0"}


def props(resource: ResourceRecord) -> dict[str, Any]:
    return resource.config.get("properties") or {}


def has_destination(setting: dict[str, Any]) -> bool:
    p = setting.get("properties") or {}
    return any(p.get(k) for k in LOG_DESTINATIONS)


def enabled_categories(setting: dict[str, Any]) -> set[str]:
    """Lowercased log categories and category groups a diagnostic setting sends."""
    found = set()
    for log in (setting.get("properties") or {}).get("logs") or []:
        if log.get("enabled"):
            for key in ("category", "categoryGroup"):
                if log.get(key):
                    found.add(str(log[key]).lower())
    return found


def settings_sending(settings: list[dict[str, Any]] | None, categories: set[str], groups: set[str]) -> list[str]:
    """Names of settings with a destination that send any of ``categories`` or category ``groups``."""
    wanted = {c.lower() for c in categories} | {g.lower() for g in groups}
    return [s.get("name", "") for s in settings or [] if has_destination(s) and enabled_categories(s) & wanted]


def ci_get(mapping: dict[str, Any] | None, key: str) -> Any:
    """A dict value by case-insensitive key (ARM is case-insensitive about addon names)."""
    for k, v in (mapping or {}).items():
        if k.lower() == key.lower():
            return v
    return None


def approved_private_endpoints(connections: list[dict[str, Any]] | None) -> list[str]:
    return [
        str(c.get("id", ""))
        for c in connections or []
        if str(lookup(c, "properties.privateLinkServiceConnectionState.status", "")).lower() == "approved"
    ]


def private_endpoint_verdict(resource: ResourceRecord) -> Verdict:
    """PASS when at least one private endpoint connection is approved (vaults, storage, registries)."""
    connections = observed(resource.config, "properties.privateEndpointConnections")
    approved = approved_private_endpoints(connections.value)
    return check(
        bool(approved),
        f"{len(approved)} approved private endpoint connection(s)",
        "no approved private endpoint connection",
        connections,
    )


def minor(version: str | None) -> tuple[int, int] | None:
    """``1.30.6`` -> (1, 30); None for anything else."""
    parts = str(version or "").split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return int(parts[0]), int(parts[1])
