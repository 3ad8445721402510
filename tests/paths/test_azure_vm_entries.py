"""Azure virtual machines as entries: an NSG open to the internet -> a NIC with a public IP -> its VM (a foothold
by a finding of its own) -> its managed identities -> their role assignments; each nearest harmless look-alike
breaks the path (plain data, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from posture.paths.items import HopFinding
from tests.paths.estate import AWS, Estate
from tests.paths.test_network_entries import MACHINE_PATH, nsg_rule
from tests.paths.test_search import BLOB_READER, SUB, paths

RG = f"{SUB}/resourceGroups/rg/providers"
VNET = f"{RG}/Microsoft.Network/virtualNetworks/vnet"
SUBNET = f"{VNET}/subnets/web"
VM = f"{RG}/Microsoft.Compute/virtualMachines/web-1"
NIC = f"{RG}/Microsoft.Network/networkInterfaces/web-1-nic"
NSG_ID = f"{RG}/Microsoft.Network/networkSecurityGroups/web-nsg"
UAMI = f"{RG}/Microsoft.ManagedIdentity/userAssignedIdentities/web-id"
UNPATCHED = HopFinding(9201, "azure.compute.vm_os_unpatched", "high", category="workload")


def from_vnet(name: str, priority: int) -> dict[str, Any]:
    rule = nsg_rule(name, priority)
    rule["properties"]["sourceAddressPrefix"] = "VirtualNetwork"
    return rule


def vm_estate(
    *rules: dict[str, Any],
    public_ip: bool = True,
    on_nic: bool = True,
    identity: dict[str, Any] | None = None,
    principal: str = "p-vm",
    finding: HopFinding | None = UNPATCHED,
) -> Estate:
    """A VM whose NIC (public IP or not) sits under ``web-nsg`` (on the NIC, or on its subnet through the virtual
    network); its system-assigned identity ``p-vm`` holds Storage Blob Data Reader on the resource group."""
    estate = Estate()
    nsg = {"properties": {"securityRules": list(rules) or [nsg_rule("https", 100)]}}
    estate.add(AWS, "azure", "azure.network.security_group", NSG_ID, "web-nsg", nsg)
    subnet_props: dict[str, Any] = {} if on_nic else {"networkSecurityGroup": {"id": NSG_ID}}
    vnet = {"properties": {"subnets": [{"id": SUBNET, "name": "web", "properties": subnet_props}]}}
    estate.add(AWS, "azure", "azure.network.virtual_network", VNET, "vnet", vnet)
    ip: dict[str, Any] = {"subnet": {"id": SUBNET}}
    if public_ip:
        ip["publicIPAddress"] = {"id": f"{RG}/Microsoft.Network/publicIPAddresses/web-1-ip"}
    nic_props: dict[str, Any] = {"ipConfigurations": [{"name": "ipconfig1", "properties": ip}]}
    nic_props["virtualMachine"] = {"id": VM}
    if on_nic:
        nic_props["networkSecurityGroup"] = {"id": NSG_ID}
    estate.add(AWS, "azure", "azure.compute.network_interface", NIC, "web-1-nic", {"properties": nic_props})
    vm = {
        "identity": identity if identity is not None else {"type": "SystemAssigned", "principalId": "p-vm"},
        "properties": {"networkProfile": {"networkInterfaces": [{"id": NIC}]}},
    }
    item = estate.add(AWS, "azure", "azure.compute.virtual_machine", VM, "web-1", vm)
    if finding is not None:
        estate.finding(item, finding)
    storage = f"{RG}/Microsoft.Storage/storageAccounts/acmedata"
    estate.add(AWS, "azure", "azure.storage.account", storage, "acmedata", {})
    role = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_READER}"
    assignment = {
        "properties": {"roleDefinitionId": role, "principalId": principal, "scope": f"{SUB}/resourceGroups/rg"}
    }
    estate.add(
        AWS,
        "azure",
        "azure.authorization.role_assignments",
        f"{SUB}/providers/x",
        "ra",
        {"roleAssignments": [assignment]},
    )
    return estate


def test_open_nsg_to_public_nic_to_vm_to_its_identity_to_the_storage_account():
    [path] = paths(vm_estate())
    assert [n.kind for n in path.nodes] == MACHINE_PATH
    assert [e.kind for e in path.edges] == ["exposes", "guards", "runs as", "may read/write"]
    assert path.nodes[1].label == "Network security group web-nsg"
    assert path.edges[0].detail == "rule https: Tcp 443 from Internet"
    assert path.nodes[2].label == "Virtual machine web-1" and path.nodes[2].findings == [UNPATCHED]
    assert path.edges[1].detail == "its own NSG, NIC web-1-nic with a public IP"
    assert (
        path.nodes[3].label == "web-1 system-assigned identity" and path.edges[2].detail == "system-assigned identity"
    )
    assert path.nodes[-1].label == "Storage account acmedata"


def test_the_subnets_nsg_known_from_the_virtual_network_guards_the_nic_too():
    [path] = paths(vm_estate(on_nic=False))
    assert path.edges[1].detail == "its subnet's NSG, NIC web-1-nic with a public IP"


def test_a_user_assigned_identity_is_followed_by_the_principal_the_vm_names():
    identity = {"type": "UserAssigned", "userAssignedIdentities": {UAMI: {"principalId": "p-uami", "clientId": "c-1"}}}
    [path] = paths(vm_estate(identity=identity, principal="p-uami"))
    assert path.nodes[3].label == "web-id" and path.edges[2].detail == "user-assigned identity web-id"
    assert paths(vm_estate(identity=identity)) == []  # the role is held by the system identity it does not have


@pytest.mark.parametrize(
    ("rules", "options"),
    [
        ((), {"public_ip": False}),  # no public IP: the internet cannot route to the NIC
        ((from_vnet("https", 100),), {}),  # the NSG lets in the virtual network only
        ((nsg_rule("deny-all", 90, "Deny", "*"), nsg_rule("https", 100)), {}),  # an earlier deny of everything
        ((), {"identity": {}}),  # no managed identity: it stands on nothing
        ((), {"identity": {"type": "None"}}),
        ((), {"finding": None}),  # a hardened VM is no foothold
        ((), {"finding": HopFinding(9202, "azure.compute.vm_public_ip", "high", category="exposure")}),
    ],
)
def test_nearest_look_alikes_break_the_path(rules, options):
    assert paths(vm_estate(*rules, **options)) == []


def test_a_closed_subnet_nsg_keeps_the_internet_out_even_when_the_nics_own_is_open():
    estate = vm_estate()
    closed = {"properties": {"securityRules": [nsg_rule("deny-all", 90, "Deny", "*")]}}
    other = f"{RG}/Microsoft.Network/networkSecurityGroups/subnet-nsg"
    estate.add(AWS, "azure", "azure.network.security_group", other, "subnet-nsg", closed)
    vnet = next(i for i in estate.items if i.type == "azure.network.virtual_network")
    vnet.config["properties"]["subnets"][0]["properties"] = {"networkSecurityGroup": {"id": other}}
    assert paths(estate) == []
    closed["properties"]["securityRules"] = [nsg_rule("https", 100)]
    assert len(paths(estate)) == 1
