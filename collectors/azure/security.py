"""Microsoft Defender for Cloud: the subscription's Defender plans (pricings, with their extensions), its security
contacts, and its integration settings (Defender for Endpoint, vulnerability assessment provider).

Security contacts are read in the 2023-12-01-preview shape (``notificationsSources``: alert severity and attack
path risk level), which the pinned SDK does not model. The settings are one record per subscription,
``azure.security.settings``, so that a setting never read is told apart from a setting that is off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.arm_lists import arm_list
from collectors.azure.common import per_subscription, record, secondary, to_json
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

CONTACTS_API = "2023-12-01-preview"


def _settings(client: Any, sub: Subscription) -> ResourceRecord:
    errors: dict[str, str] = {}
    settings = secondary(errors, "settings", lambda: [to_json(s) for s in client.settings.list()])
    assessment = secondary(
        errors,
        "serverVulnerabilityAssessmentsSettings",
        lambda: [to_json(s) for s in client.server_vulnerability_assessments_settings.list_by_subscription()],
    )
    config: dict[str, Any] = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Security/settings",
        "name": f"Defender for Cloud settings of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "settings": settings,
        "serverVulnerabilityAssessmentsSettings": assessment,
    }
    if errors:
        config["_errors"] = errors
    return record("security", "settings", config)


def _security_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("security", sub.subscription_id)
    # azure-mgmt-security 7: pricings.list() returns one PricingList, not a pager.
    pricings = client.pricings.list(f"subscriptions/{sub.subscription_id}")
    for pricing in pricings.value or []:
        yield record("security", "pricing", to_json(pricing))
    yield _settings(client, sub)
    path = f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Security/securityContacts"
    contacts = arm_list(session, sub.subscription_id, path, CONTACTS_API)  # a failure keeps the records above
    for contact in contacts:
        yield record("security", "contact", contact)
    if not contacts:  # no contact at all is itself a finding: say so on a placeholder of the default contact
        yield record(
            "security",
            "contact",
            {"id": f"{path}/default", "name": "default", "properties": None, "_missing": True},
        )


@REGISTRY.collector(
    "azure",
    "security",
    regional=False,
    permissions=(
        "Microsoft.Security/pricings/read",
        "Microsoft.Security/securityContacts/read",
        "Microsoft.Security/settings/read",
        "Microsoft.Security/serverVulnerabilityAssessmentsSettings/read",
    ),
)
def collect_security(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _security_records(session, sub))
