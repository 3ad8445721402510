"""Azure RBAC: the subscription's role assignments and its custom role definitions.

Role assignments are kept together on one record per subscription,
``azure.authorization.role_assignments`` (uid: their ARM collection path), for
the rules that count owners or look for standing User Access Administrators.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.azure.common import per_subscription, record, to_json
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def _rbac_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("authorization", sub.subscription_id)
    scope = f"/subscriptions/{sub.subscription_id}"
    assignments = [to_json(a) for a in client.role_assignments.list_for_subscription()]
    yield record(
        "authorization",
        "role_assignments",
        {
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments",
            "name": f"Role assignments of {sub.display_name or sub.subscription_id}",
            "subscriptionId": sub.subscription_id,
            "roleAssignments": assignments,
        },
    )
    for definition in client.role_definitions.list(scope, filter="type eq 'CustomRole'"):
        yield record("authorization", "role_definition", to_json(definition))


@REGISTRY.collector(
    "azure",
    "authorization",
    regional=False,
    permissions=("Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read"),
)
def collect_authorization(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _rbac_records(session, sub))
