"""Key Vault (management plane): vault settings and each vault's diagnostic settings (AuditEvent logs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.aks import diagnostic_settings
from collectors.azure.common import map_details, per_subscription, record, secondary
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _vault(session: AzureSession, sub: Subscription, config: dict[str, Any]) -> ResourceRecord:
    errors: dict[str, str] = {}
    settings = secondary(
        errors, "diagnosticSettings", lambda: diagnostic_settings(session, sub.subscription_id, config["id"])
    )
    extra: dict[str, Any] = {"_diagnosticSettings": settings}
    if errors:
        extra["_errors"] = errors
    return record("keyvault", "vault", config, **extra)


def _vault_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("keyvault", sub.subscription_id)
    # vaults.list() goes through the generic /resources endpoint (id, name, type only): list_by_subscription has all.
    vaults = listed(session, sub, "Microsoft.KeyVault/vaults", client.vaults.list_by_subscription)
    yield from map_details(lambda config: _vault(session, sub, config), vaults)


@REGISTRY.collector(
    "azure",
    "keyvault",
    regional=False,
    permissions=("Microsoft.KeyVault/vaults/read", "Microsoft.Insights/diagnosticSettings/read"),
)
def collect_keyvault(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _vault_records(session, sub))
