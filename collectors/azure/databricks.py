"""Azure Databricks: workspaces (VNet injection, No Public IP, public network access, private endpoints,
customer-managed keys) and each workspace's diagnostic settings.

No management SDK is pinned for Microsoft.Databricks: the workspaces are listed through Resource Manager's
REST API (api-version 2024-05-01, paged by ``nextLink``) with the same pipeline as the SDK clients. The
subnets a workspace is injected into are judged from the network collector's virtual network records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.aks import diagnostic_settings
from collectors.azure.common import map_details, per_subscription, record, scrub, secondary
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

DATABRICKS_API = {"api-version": "2024-05-01"}


def _workspace(session: AzureSession, sub: Subscription, config: dict[str, Any]) -> ResourceRecord:
    errors: dict[str, str] = {}
    settings = secondary(
        errors, "diagnosticSettings", lambda: diagnostic_settings(session, sub.subscription_id, config["id"])
    )
    extra: dict[str, Any] = {"_diagnosticSettings": settings}
    if errors:
        extra["_errors"] = errors
    return record("databricks", "workspace", config, **extra)


def _workspace_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    url = f"{session.base_url}/subscriptions/{sub.subscription_id}/providers/Microsoft.Databricks/workspaces"
    workspaces = [scrub(w) for w in session.rest("arm").list(url, DATABRICKS_API) if w.get("id")]
    yield from map_details(lambda config: _workspace(session, sub, config), workspaces)


@REGISTRY.collector(
    "azure",
    "databricks",
    regional=False,
    permissions=("Microsoft.Databricks/workspaces/read", "Microsoft.Insights/diagnosticSettings/read"),
)
def collect_databricks(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _workspace_records(session, sub))
