"""Azure RBAC: the subscription's role assignments and its custom role definitions; its management locks.

Role assignments are kept together on one record per subscription,
``azure.authorization.role_assignments`` (uid: their ARM collection path), for
the rules that count owners or look for standing User Access Administrators.
The management locks of the subscription, its resource groups and resources are
one record too, ``azure.authorization.locks``: a lock applies to everything below
its scope, so the rules about one resource read them all.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.azure.arm_lists import arm_list
from collectors.azure.common import per_subscription, record, secondary, to_json
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

LOCKS = "Microsoft.Authorization/locks"
LOCKS_API = "2020-05-01"


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
    yield _locks(session, sub)


def _locks(session: AzureSession, sub: Subscription) -> ResourceRecord:
    """Every management lock in the subscription (at its own scope, its resource groups' and resources')."""
    scope = f"/subscriptions/{sub.subscription_id}"
    errors: dict[str, str] = {}
    locks = secondary(
        errors, "locks", lambda: arm_list(session, sub.subscription_id, f"{scope}/providers/{LOCKS}", LOCKS_API)
    )
    config = {
        "id": f"{scope}/providers/{LOCKS}",
        "name": f"Management locks of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "locks": locks,
    }
    if errors:
        config["_errors"] = errors
    return record("authorization", "locks", config)


@REGISTRY.collector(
    "azure",
    "authorization",
    regional=False,
    permissions=(
        "Microsoft.Authorization/roleAssignments/read",
        "Microsoft.Authorization/roleDefinitions/read",
        "Microsoft.Authorization/locks/read",
    ),
)
def collect_authorization(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _rbac_records(session, sub))
