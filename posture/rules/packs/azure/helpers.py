"""Small helpers the Azure rule modules share: ARM ``properties``, collection errors, diagnostic settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.registry import rule
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


def property_rule(
    *,
    id: str,
    title: str,
    severity: str,
    category: str,
    resource_type: str,
    path: str,
    good: Callable[[Any], bool],
    ok: str,
    bad: str,
    rationale: str,
    remediation: str,
    references: tuple[str, ...] = (),
) -> Callable[[ResourceRecord, Any], Verdict]:
    """Register a rule that judges one config field: PASS when ``good(value)``; ``{value}`` in messages."""

    def judge(resource: ResourceRecord, ctx: Any) -> Verdict:
        evidence = observed(resource.config, path)
        return check(good(evidence.value), ok.format(value=evidence.value), bad.format(value=evidence.value), evidence)

    judge.__name__ = id.rsplit(".", 1)[-1]
    judge.__doc__ = title
    rule(
        id=id,
        title=title,
        severity=severity,
        category=category,
        resource_type=resource_type,
        rationale=rationale,
        remediation=remediation,
        references=references,
    )(judge)
    return judge
