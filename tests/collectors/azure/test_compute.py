"""Virtual machines and network interfaces through plain ARM REST, against the ARM emulator: the API's own shape,
paging by nextLink, no OS secrets in a record, a refusal stated with its status."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError

from collectors.azure import PROVIDER
from collectors.azure.compute import collect_virtual_machines, redact_os_profile
from collectors.azure.session import AzureSession
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate
from tests.collectors.azure.conftest import TOKEN, target


@pytest.mark.usefixtures("per_service")
def test_vms_and_nics_are_listed_page_by_page_in_the_apis_shape() -> None:
    with ArmEmulator(demo_estate(page_size=1), token=TOKEN) as emulator:
        records = list(collect_virtual_machines(PROVIDER.connect(target(emulator)), "global"))
    by_name = {r.name: r for r in records}
    assert sorted(by_name) == ["vm-batch", "vm-batch-nic", "vm-jump", "vm-jump-nic"]
    jump, nic = by_name["vm-jump"], by_name["vm-jump-nic"]
    assert jump.type == "azure.compute.virtual_machine" and nic.type == "azure.compute.network_interface"
    assert (
        jump.uid == f"/subscriptions/{SUB}/resourceGroups/platform/providers/Microsoft.Compute/virtualMachines/vm-jump"
    )
    assert jump.config["identity"]["type"] == "SystemAssigned" and jump.config["identity"]["principalId"]
    assert jump.config["properties"]["networkProfile"]["networkInterfaces"][0]["id"] == nic.uid
    props = nic.config["properties"]
    assert props["virtualMachine"]["id"] == jump.uid
    assert props["ipConfigurations"][0]["properties"]["publicIPAddress"]["id"].endswith("/vm-jump-nic-ip")
    assert "publicIPAddress" not in by_name["vm-batch-nic"].config["properties"]["ipConfigurations"][0]["properties"]
    assert by_name["vm-batch"].region == "eastus"


def test_os_secrets_never_reach_the_record() -> None:
    vm = {
        "id": "/x",
        "properties": {"osProfile": {"computerName": "a", "adminPassword": "p@ss", "CustomData": "c2VjcmV0"}},
    }
    assert redact_os_profile(vm)["properties"]["osProfile"] == {"computerName": "a"}
    assert vm["properties"]["osProfile"]["adminPassword"] == "p@ss"  # the input is left as it was
    assert redact_os_profile({"id": "/y", "properties": None}) == {"id": "/y", "properties": None}


def test_resource_graph_gives_the_same_records_as_the_listings(emulator: ArmEmulator, monkeypatch) -> None:
    bulk = [r.config for r in collect_virtual_machines(PROVIDER.connect(target(emulator)), "global")]
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "off")
    listed = [r.config for r in collect_virtual_machines(PROVIDER.connect(target(emulator)), "global")]
    assert len(listed) == 4 and bulk == listed


@pytest.mark.usefixtures("per_service")
def test_a_failing_provider_fails_the_unit_with_its_status(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("Microsoft.Compute", status=403)
    with pytest.raises(HttpResponseError) as raised:
        list(collect_virtual_machines(session, "global"))
    assert raised.value.status_code == 403
    assert PROVIDER.classify_error(raised.value) == "denied"
