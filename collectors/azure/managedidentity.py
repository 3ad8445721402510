"""User-assigned managed identities (Microsoft.ManagedIdentity/userAssignedIdentities, ListBySubscription,
api-version 2023-01-31): one ``azure.managedidentity.user_assigned`` record each, its ``properties.clientId``
(what an AKS workload identity's ``azure.workload.identity/client-id`` names) and ``properties.principalId``
(what a role assignment names), for the exposure paths.

No management SDK is installed for this provider (azure-mgmt-msi): the list is read as the REST API's own JSON
(:func:`collectors.azure.arm_lists.arm_list`: a management client's pipeline, ``nextLink`` followed only on the
Resource Manager host).
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.azure.arm_lists import arm_list
from collectors.azure.common import per_subscription, record
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

API_VERSION = "2023-01-31"
IDENTITIES = "Microsoft.ManagedIdentity/userAssignedIdentities"


def _identity_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    path = f"/subscriptions/{sub.subscription_id}/providers/{IDENTITIES}"
    for identity in arm_list(session, sub.subscription_id, path, API_VERSION):
        if isinstance(identity.get("id"), str):
            yield record("managedidentity", "user_assigned", identity)


@REGISTRY.collector(
    "azure",
    "managedidentity",
    regional=False,
    permissions=("Microsoft.ManagedIdentity/userAssignedIdentities/read",),
)
def collect_user_assigned_identities(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _identity_records(session, sub))
