"""Virtual machines (Microsoft.Compute/virtualMachines, ListAll, api-version 2024-07-01) and network interfaces
(Microsoft.Network/networkInterfaces, ListAll, api-version 2024-05-01), for the exposure paths: a VM's
``identity`` (system-assigned ``principalId``, ``userAssignedIdentities``) and NICs
(``properties.networkProfile.networkInterfaces[].id``); a NIC's IP configurations (``subnet.id``,
``publicIPAddress.id``), its ``networkSecurityGroup.id`` and ``virtualMachine.id``.

No compute management SDK is installed (azure-mgmt-compute): both lists are read as the REST API's own JSON
(:func:`collectors.azure.arm_lists.arm_list`), from Resource Graph when the scan has it
(:func:`collectors.azure.inventory.listed`). A VM's ``osProfile`` keeps its names and settings but never
``adminPassword`` or ``customData`` (the list does not return them; a record never holds them if it did).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.arm_lists import arm_list
from collectors.azure.common import per_subscription, record
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

VM_API_VERSION = "2024-07-01"
NIC_API_VERSION = "2024-05-01"
VMS = "Microsoft.Compute/virtualMachines"
NICS = "Microsoft.Network/networkInterfaces"
OS_SECRETS = {"adminpassword", "customdata"}


def redact_os_profile(vm: dict[str, Any]) -> dict[str, Any]:
    """``vm`` without ``properties.osProfile.adminPassword``/``customData`` (whatever their case)."""
    props = vm.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("osProfile"), dict):
        return vm
    profile = props["osProfile"]
    kept = {k: v for k, v in profile.items() if str(k).lower() not in OS_SECRETS}
    return {**vm, "properties": {**props, "osProfile": kept}}


def _list(session: AzureSession, sub: Subscription, resource_type: str, api_version: str) -> Iterator[dict[str, Any]]:
    path = f"/subscriptions/{sub.subscription_id}/providers/{resource_type}"
    return listed(session, sub, resource_type, lambda: arm_list(session, sub.subscription_id, path, api_version))


def _records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    for vm in _list(session, sub, VMS, VM_API_VERSION):
        if isinstance(vm.get("id"), str):
            yield record("compute", "virtual_machine", redact_os_profile(vm))
    for nic in _list(session, sub, NICS, NIC_API_VERSION):
        if isinstance(nic.get("id"), str):
            yield record("compute", "network_interface", nic)


@REGISTRY.collector(
    "azure",
    "compute",
    regional=False,
    permissions=("Microsoft.Compute/virtualMachines/read", "Microsoft.Network/networkInterfaces/read"),
)
def collect_virtual_machines(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _records(session, sub))
