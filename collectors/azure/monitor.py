"""Azure Monitor: the subscription's activity log alerts and its activity log diagnostic settings.

One record per subscription, ``azure.monitor.activity_log`` (uid: the activity
log's ARM path), holds both listings, so that the CIS alert rules are judged
only where the listings were actually read. Each alert is a record too.
The subscription's Application Insights components are one record,
``azure.monitor.application_insights`` (the pinned SDKs have no client for them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.arm_lists import arm_list
from collectors.azure.common import per_subscription, record, secondary, to_json
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

COMPONENTS = "Microsoft.Insights/components"
COMPONENTS_API = "2020-02-02"


def _application_insights(session: AzureSession, sub: Subscription) -> ResourceRecord:
    scope = f"/subscriptions/{sub.subscription_id}"
    errors: dict[str, str] = {}
    components = secondary(
        errors,
        "components",
        lambda: arm_list(session, sub.subscription_id, f"{scope}/providers/{COMPONENTS}", COMPONENTS_API),
    )
    config: dict[str, Any] = {
        "id": f"{scope}/providers/{COMPONENTS}",
        "name": f"Application Insights of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "components": components,
    }
    if errors:
        config["_errors"] = errors
    return record("monitor", "application_insights", config)


def _monitor_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("monitor", sub.subscription_id)
    alerts = [to_json(a) for a in client.activity_log_alerts.list_by_subscription_id()]
    errors: dict[str, str] = {}
    settings = secondary(
        errors,
        "diagnosticSettings",
        lambda: [
            to_json(s) for s in client.diagnostic_settings.list(resource_uri=f"/subscriptions/{sub.subscription_id}")
        ],
    )
    activity_log: dict[str, Any] = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Insights/eventtypes/management",
        "name": f"Activity log of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "activityLogAlerts": alerts,
        "diagnosticSettings": settings,
    }
    if errors:
        activity_log["_errors"] = errors
    yield record("monitor", "activity_log", activity_log)
    for alert in alerts:
        yield record("monitor", "activity_log_alert", alert)
    yield _application_insights(session, sub)


@REGISTRY.collector(
    "azure",
    "monitor",
    regional=False,
    permissions=(
        "Microsoft.Insights/activityLogAlerts/read",
        "Microsoft.Insights/diagnosticSettings/read",
        "Microsoft.Insights/components/read",
    ),
)
def collect_monitor(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _monitor_records(session, sub))
