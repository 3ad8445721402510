"""Microsoft Defender for Cloud: the subscription's Defender plans (pricings, with their extensions), its security
contacts, and its integration settings (Defender for Endpoint, vulnerability assessment provider).

Security contacts are read in the 2023-12-01-preview shape (``notificationsSources``: alert severity and attack
path risk level), which the pinned SDK does not model. The settings are one record per subscription,
``azure.security.settings``, so that a setting never read is told apart from a setting that is off; so are the
assignments of the Microsoft cloud security benchmark initiative (``azure.security.benchmark_assignments``) and
the Defender EASM workspaces (``azure.security.easm_workspaces``). Each IoT hub is an
``azure.security.iot_hub_protection`` record with the IoT security solutions that cover it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from collectors.azure.arm_lists import arm_list, resources_of_type
from collectors.azure.common import per_subscription, record, secondary, to_json
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

CONTACTS_API = "2023-12-01-preview"
POLICY_API = "2022-06-01"
# The Microsoft cloud security benchmark initiative, Defender for Cloud's default policy (SecurityCenterBuiltIn).
BENCHMARK_INITIATIVE = "1f3afdf9-d0c9-4c3d-847f-89da613e70a8"


def _subscription_record(
    sub: Subscription, kind: str, path: str, title: str, reads: dict[str, Callable[[], Any]]
) -> ResourceRecord:
    """One record per subscription holding listings (key -> its read); a failed read is None, its error in _errors."""
    errors: dict[str, str] = {}
    config: dict[str, Any] = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/{path}",
        "name": f"{title} of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        **{key: secondary(errors, key, read) for key, read in reads.items()},
    }
    if errors:
        config["_errors"] = errors
    return record("security", kind, config)


def _benchmark_assignments(session: AzureSession, sub: Subscription) -> list[dict[str, Any]]:
    """The assignments of the Microsoft cloud security benchmark that apply to the subscription (any scope above)."""
    path = f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Authorization/policyAssignments"
    assignments = arm_list(session, sub.subscription_id, path, POLICY_API, {"$filter": "atScope()"})
    return [
        a
        for a in assignments
        if str((a.get("properties") or {}).get("policyDefinitionId", "")).lower().endswith(BENCHMARK_INITIATIVE)
    ]


def _iot_hubs(session: AzureSession, client: Any, sub: Subscription) -> Iterator[ResourceRecord]:
    hubs = resources_of_type(session, sub.subscription_id, "Microsoft.Devices/IotHubs")
    if not hubs:
        return
    solutions = [to_json(s) for s in client.iot_security_solution.list_by_subscription()]
    for hub in hubs:
        covering = [
            {"id": s.get("id"), "status": (s.get("properties") or {}).get("status")}
            for s in solutions
            if hub["id"].lower() in [str(h).lower() for h in (s.get("properties") or {}).get("iotHubs") or []]
        ]
        # uid: the hub's solutions (an extension path), so that the hub's own record, if ever collected, is apart
        view = {**hub, "id": f"{hub['id']}/providers/Microsoft.Security/iotSecuritySolutions", "hubId": hub["id"]}
        yield record("security", "iot_hub_protection", view, _securitySolutions=covering)


def _security_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("security", sub.subscription_id)
    # azure-mgmt-security 7: pricings.list() returns one PricingList, not a pager.
    pricings = client.pricings.list(f"subscriptions/{sub.subscription_id}")
    for pricing in pricings.value or []:
        yield record("security", "pricing", to_json(pricing))
    yield _subscription_record(
        sub,
        "settings",
        "Microsoft.Security/settings",
        "Defender for Cloud settings",
        {
            "settings": lambda: [to_json(s) for s in client.settings.list()],
            "serverVulnerabilityAssessmentsSettings": lambda: [
                to_json(s) for s in client.server_vulnerability_assessments_settings.list_by_subscription()
            ],
        },
    )
    path = f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Security/securityContacts"
    # a failure here keeps the records above; an item without an id is no contact
    contacts = [c for c in arm_list(session, sub.subscription_id, path, CONTACTS_API) if isinstance(c.get("id"), str)]
    for contact in contacts:
        yield record("security", "contact", contact)
    if not contacts:  # no contact at all is itself a finding: say so on a placeholder of the default contact
        yield record(
            "security",
            "contact",
            {"id": f"{path}/default", "name": "default", "properties": None, "_missing": True},
        )
    yield _subscription_record(
        sub,
        "benchmark_assignments",
        "Microsoft.Authorization/policyAssignments",
        "Microsoft cloud security benchmark assignments",
        {"assignments": lambda: _benchmark_assignments(session, sub)},
    )
    yield _subscription_record(
        sub,
        "easm_workspaces",
        "Microsoft.Easm/workspaces",
        "Defender EASM workspaces",
        {"workspaces": lambda: resources_of_type(session, sub.subscription_id, "Microsoft.Easm/workspaces")},
    )
    yield from _iot_hubs(session, client, sub)


@REGISTRY.collector(
    "azure",
    "security",
    regional=False,
    permissions=(
        "Microsoft.Security/pricings/read",
        "Microsoft.Security/securityContacts/read",
        "Microsoft.Security/settings/read",
        "Microsoft.Security/serverVulnerabilityAssessmentsSettings/read",
        "Microsoft.Security/iotSecuritySolutions/read",
        "Microsoft.Authorization/policyAssignments/read",
        "Microsoft.Resources/subscriptions/resources/read",
    ),
)
def collect_security(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _security_records(session, sub))
