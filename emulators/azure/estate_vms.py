"""Virtual machines (Microsoft.Compute/virtualMachines, api-version 2024-07-01) and their network interfaces
(Microsoft.Network/networkInterfaces, api-version 2024-05-01) in the shapes ListAll answers.

The demo holds two harmless look-alikes of an exposure path, and no path:

- ``vm-batch`` in ``vnet-legacy/db``, whose NSG (``nsg-legacy``) lets the internet in, but its NIC has no public
  IP address (the internet cannot route to it);
- ``vm-jump`` in ``vnet-hub/web`` (``nsg-web`` opens 443 to the internet) with a public IP address and a
  system-assigned identity that no role assignment names (it reaches nothing).
"""

from __future__ import annotations

import uuid
from typing import Any

from emulators.azure import estate as e


def network_interface(
    sub: str, rg: str, name: str, subnet: str, vm_id: str, public_ip: bool, location: str = "westeurope"
) -> dict[str, Any]:
    nic = f"{e.rg_id(sub, rg)}/providers/Microsoft.Network/networkInterfaces/{name}"
    ip: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "privateIPAddress": "10.0.2.4",
        "privateIPAllocationMethod": "Dynamic",
        "subnet": {"id": subnet},
        "primary": True,
        "privateIPAddressVersion": "IPv4",
    }
    if public_ip:
        ip["publicIPAddress"] = {"id": f"{e.rg_id(sub, rg)}/providers/Microsoft.Network/publicIPAddresses/{name}-ip"}
    return {
        "id": nic,
        "name": name,
        "type": "Microsoft.Network/networkInterfaces",
        "location": location,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "ipConfigurations": [
                {"name": "ipconfig1", "id": f"{nic}/ipConfigurations/ipconfig1", "properties": ip},
            ],
            "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
            "macAddress": "00-0D-3A-1B-C7-21",
            "enableAcceleratedNetworking": False,
            "enableIPForwarding": False,
            "primary": True,
            "virtualMachine": {"id": vm_id},
            "nicType": "Standard",
        },
    }


def virtual_machine(
    sub: str, rg: str, name: str, nic_id: str, principal: str = "", location: str = "westeurope"
) -> dict[str, Any]:
    vm: dict[str, Any] = {
        "id": f"{e.rg_id(sub, rg)}/providers/Microsoft.Compute/virtualMachines/{name}",
        "name": name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": location,
        "tags": {},
        "properties": {
            "vmId": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
            "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
            "storageProfile": {
                "imageReference": {
                    "publisher": "Canonical",
                    "offer": "0001-com-ubuntu-server-jammy",
                    "sku": "22_04-lts-gen2",
                    "version": "latest",
                },
                "osDisk": {"osType": "Linux", "name": f"{name}-os", "createOption": "FromImage"},
                "dataDisks": [],
            },
            "osProfile": {
                "computerName": name,
                "adminUsername": "azureuser",
                "linuxConfiguration": {"disablePasswordAuthentication": True, "provisionVMAgent": True},
                "secrets": [],
                "allowExtensionOperations": True,
            },
            "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": True}}]},
            "provisioningState": "Succeeded",
        },
    }
    if principal:
        vm["identity"] = {"type": "SystemAssigned", "principalId": principal, "tenantId": e.TENANT}
    return vm


def add_vms(resources: list[dict[str, Any]]) -> None:
    """``vm-batch`` (open NSG, no public IP) and ``vm-jump`` (public, an identity holding no role)."""
    sub = e.SUBSCRIPTION
    vnets = {r["name"]: r for r in resources if str(r.get("type", "")).lower() == "microsoft.network/virtualnetworks"}
    for vnet, subnet, rg, name, public, principal, location in (
        ("vnet-legacy", "db", "legacy", "vm-batch", False, "", "eastus"),
        ("vnet-hub", "web", "platform", "vm-jump", True, "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", "westeurope"),
    ):
        subnet_id = f"{vnets[vnet]['id']}/subnets/{subnet}"
        vm_id = f"{e.rg_id(sub, rg)}/providers/Microsoft.Compute/virtualMachines/{name}"
        nic = network_interface(sub, rg, f"{name}-nic", subnet_id, vm_id, public, location)
        resources += [virtual_machine(sub, rg, name, nic["id"], principal, location), nic]
