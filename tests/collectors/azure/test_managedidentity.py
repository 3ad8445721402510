"""User-assigned managed identities through plain ARM REST on a management client's pipeline, against the ARM
emulator: the API's own shape, paging by nextLink, a refusal stated with its status."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from collectors.azure import PROVIDER
from collectors.azure.managedidentity import collect_user_assigned_identities
from collectors.azure.session import AzureSession
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate
from emulators.azure.estate_managed_identities import ORDERS_API_CLIENT
from tests.collectors.azure.conftest import TOKEN, target


def test_identities_are_listed_page_by_page_in_the_apis_shape() -> None:
    with ArmEmulator(demo_estate(page_size=1), token=TOKEN) as emulator:
        records = list(collect_user_assigned_identities(PROVIDER.connect(target(emulator)), "global"))
    assert [r.name for r in records] == ["aks-prod-agentpool", "orders-api"]
    orders = records[1]
    assert orders.type == "azure.managedidentity.user_assigned" and orders.region == "westeurope"
    kind = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    assert orders.uid == f"/subscriptions/{SUB}/resourceGroups/platform/{kind}/orders-api"
    assert orders.config["properties"]["clientId"] == ORDERS_API_CLIENT and orders.config["properties"]["principalId"]


def test_a_failing_provider_fails_the_unit_with_its_status(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("Microsoft.ManagedIdentity", status=403)
    with pytest.raises(HttpResponseError) as raised:
        list(collect_user_assigned_identities(session, "global"))
    assert raised.value.status_code == 403
    assert PROVIDER.classify_error(raised.value) == "denied"
