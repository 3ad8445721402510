"""Storage accounts, their blob containers' public access level, their blob services' data protection (soft
delete, versioning) and where their blob logs go, and their file services' SMB and soft delete settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.aks import diagnostic_settings
from collectors.azure.common import map_details, per_subscription, record, resource_group, secondary, to_json
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _account(session: AzureSession, sub: Subscription, config: dict[str, Any]) -> list[ResourceRecord]:
    client = session.client("storage", sub.subscription_id)
    rg, name = resource_group(config["id"]), config["name"]
    errors: dict[str, str] = {}
    containers = secondary(
        errors, "blobContainers", lambda: [to_json(c) for c in client.blob_containers.list(rg, name)]
    )
    file_services = secondary(
        errors, "fileServices", lambda: to_json(client.file_services.get_service_properties(rg, name))
    )
    blob_services = secondary(
        errors, "blobServices", lambda: to_json(client.blob_services.get_service_properties(rg, name))
    )
    blob_logs = secondary(
        errors,
        "blobDiagnosticSettings",
        lambda: diagnostic_settings(session, sub.subscription_id, f"{config['id']}/blobServices/default"),
    )
    extra: dict[str, Any] = {
        "_blobContainers": [
            {"name": c.get("name"), "publicAccess": (c.get("properties") or {}).get("publicAccess")}
            for c in containers or []
        ],
        "_fileServices": file_services,
        "_blobServices": blob_services,
        "_blobDiagnosticSettings": blob_logs,
    }
    if errors:
        extra["_errors"] = errors
    account_view = {
        "id": config["id"],
        "allowBlobPublicAccess": (config.get("properties") or {}).get("allowBlobPublicAccess"),
    }
    return [
        record("storage", "account", config, **extra),
        *(
            record("storage", "blob_container", c, location=config.get("location"), _account=account_view)
            for c in containers or []
        ),
    ]


def _account_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("storage", sub.subscription_id)
    accounts = listed(session, sub, "Microsoft.Storage/storageAccounts", client.storage_accounts.list)
    for records in map_details(lambda config: _account(session, sub, config), accounts):
        yield from records


@REGISTRY.collector(
    "azure",
    "storage",
    regional=False,
    permissions=(
        "Microsoft.Storage/storageAccounts/read",
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
        "Microsoft.Storage/storageAccounts/fileServices/read",
        "Microsoft.Storage/storageAccounts/blobServices/read",
        "Microsoft.Insights/diagnosticSettings/read",
    ),
)
def collect_storage(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _account_records(session, sub))
