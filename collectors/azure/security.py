"""Microsoft Defender for Cloud: the subscription's Defender plans (pricings) and security contacts."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.azure.common import per_subscription, record, to_json
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _security_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("security", sub.subscription_id)
    # azure-mgmt-security 7: pricings.list() returns one PricingList, not a pager.
    pricings = client.pricings.list(f"subscriptions/{sub.subscription_id}")
    for pricing in pricings.value or []:
        yield record("security", "pricing", to_json(pricing))
    contacts = [to_json(c) for c in client.security_contacts.list()]  # a failure here keeps the pricings above
    for contact in contacts:
        yield record("security", "contact", contact)
    if not contacts:  # no contact at all is itself a finding: say so on a placeholder of the default contact
        yield record(
            "security",
            "contact",
            {
                "id": f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Security/securityContacts/default",
                "name": "default",
                "properties": None,
                "_missing": True,
            },
        )


@REGISTRY.collector(
    "azure",
    "security",
    regional=False,
    permissions=("Microsoft.Security/pricings/read", "Microsoft.Security/securityContacts/read"),
)
def collect_security(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _security_records(session, sub))
