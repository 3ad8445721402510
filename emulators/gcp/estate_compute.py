"""Compute Engine resources for the demo estate (the compute v1 REST JSON, as the API returns it)."""

from __future__ import annotations

import zlib
from typing import Any

COMPUTE = "https://www.googleapis.com/compute/v1"


def _link(project: str, path: str) -> str:
    return f"{COMPUTE}/projects/{project}/{path}"


def networks(project: str, *, with_default: bool = True) -> list[dict[str, Any]]:
    found = [
        {
            "kind": "compute#network",
            "id": "4820185410123456789",
            "creationTimestamp": "2023-06-01T09:00:00.000-07:00",
            "name": "prod-vpc",
            "selfLink": _link(project, "global/networks/prod-vpc"),
            "autoCreateSubnetworks": False,
            "subnetworks": [_link(project, "regions/europe-west1/subnetworks/prod-europe-west1")],
            "routingConfig": {"routingMode": "REGIONAL"},
            "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
        }
    ]
    if with_default:
        found.append(
            {
                "kind": "compute#network",
                "id": "1204567890123456789",
                "creationTimestamp": "2019-11-05T02:11:41.000-08:00",
                "name": "default",
                "description": "Default network for the project",
                "selfLink": _link(project, "global/networks/default"),
                "autoCreateSubnetworks": True,
                "subnetworks": [_link(project, "regions/us-central1/subnetworks/default")],
                "routingConfig": {"routingMode": "REGIONAL"},
                "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
            }
        )
    return found


def legacy_network(project: str) -> dict[str, Any]:
    return {
        "kind": "compute#network",
        "id": "7700000000000000001",
        "creationTimestamp": "2015-03-01T10:00:00.000-08:00",
        "name": "classic",
        "selfLink": _link(project, "global/networks/classic"),
        "IPv4Range": "10.240.0.0/16",
        "gatewayIPv4": "10.240.0.1",
    }


def subnetworks(project: str) -> list[dict[str, Any]]:
    return [
        {
            "kind": "compute#subnetwork",
            "id": "3331112223334445556",
            "creationTimestamp": "2023-06-01T09:01:00.000-07:00",
            "name": "prod-europe-west1",
            "network": _link(project, "global/networks/prod-vpc"),
            "ipCidrRange": "10.10.0.0/20",
            "gatewayAddress": "10.10.0.1",
            "region": _link(project, "regions/europe-west1"),
            "selfLink": _link(project, "regions/europe-west1/subnetworks/prod-europe-west1"),
            "privateIpGoogleAccess": True,
            "secondaryIpRanges": [
                {"rangeName": "pods", "ipCidrRange": "10.4.0.0/14"},
                {"rangeName": "services", "ipCidrRange": "10.8.0.0/20"},
            ],
            "fingerprint": "x7Hf0nUoT1o=",
            "enableFlowLogs": True,
            "purpose": "PRIVATE",
            "logConfig": {
                "enable": True,
                "aggregationInterval": "INTERVAL_5_SEC",
                "flowSampling": 1,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            "stackType": "IPV4_ONLY",
        },
        {
            "kind": "compute#subnetwork",
            "id": "5556667778889990001",
            "creationTimestamp": "2019-11-05T02:11:45.000-08:00",
            "name": "default",
            "network": _link(project, "global/networks/default"),
            "ipCidrRange": "10.128.0.0/20",
            "gatewayAddress": "10.128.0.1",
            "region": _link(project, "regions/us-central1"),
            "selfLink": _link(project, "regions/us-central1/subnetworks/default"),
            "privateIpGoogleAccess": False,
            "fingerprint": "ab12Cd34Ef5=",
            "purpose": "PRIVATE",
            "logConfig": {"enable": False},
            "stackType": "IPV4_ONLY",
        },
    ]


def _firewall(
    project: str, name: str, network: str, allowed: list[dict[str, Any]], sources: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "compute#firewall",
        "id": str(zlib.crc32(name.encode()) * 7919),
        "creationTimestamp": "2021-04-12T11:20:00.000-07:00",
        "name": name,
        "network": _link(project, f"global/networks/{network}"),
        "priority": 1000,
        "sourceRanges": sources,
        "allowed": allowed,
        "direction": "INGRESS",
        "logConfig": {"enable": False},
        "disabled": False,
        "selfLink": _link(project, f"global/firewalls/{name}"),
        **extra,
    }


def firewalls(project: str) -> list[dict[str, Any]]:
    return [
        _firewall(
            project,
            "default-allow-ssh",
            "default",
            [{"IPProtocol": "tcp", "ports": ["22"]}],
            ["0.0.0.0/0"],
            description="Allow SSH from anywhere",
            priority=65534,
        ),
        _firewall(
            project,
            "default-allow-rdp",
            "default",
            [{"IPProtocol": "tcp", "ports": ["3389"]}],
            ["0.0.0.0/0"],
            description="Allow RDP from anywhere",
            priority=65534,
        ),
        _firewall(
            project,
            "default-allow-internal",
            "default",
            [
                {"IPProtocol": "tcp", "ports": ["0-65535"]},
                {"IPProtocol": "udp", "ports": ["0-65535"]},
                {"IPProtocol": "icmp"},
            ],
            ["10.128.0.0/9"],
            priority=65534,
        ),
        _firewall(
            project,
            "prod-allow-iap-ssh",
            "prod-vpc",
            [{"IPProtocol": "tcp", "ports": ["22"]}],
            ["35.235.240.0/20"],
            targetTags=["bastion"],
            logConfig={"enable": True, "metadata": "INCLUDE_ALL_METADATA"},
        ),
        _firewall(
            project,
            "prod-allow-https",
            "prod-vpc",
            [{"IPProtocol": "tcp", "ports": ["443"]}],
            ["0.0.0.0/0"],
            targetTags=["web"],
        ),
        _firewall(project, "old-allow-all", "prod-vpc", [{"IPProtocol": "all"}], ["0.0.0.0/0"], disabled=True),
    ]


def _instance(
    project: str,
    zone: str,
    name: str,
    *,
    service_account: str,
    scopes: list[str],
    metadata: list[dict[str, str]],
    public_ip: bool,
    shielded: bool,
    **extra: Any,
) -> dict[str, Any]:
    interface: dict[str, Any] = {
        "kind": "compute#networkInterface",
        "network": _link(project, "global/networks/prod-vpc"),
        "subnetwork": _link(project, f"regions/{zone[:-2]}/subnetworks/prod-{zone[:-2]}"),
        "networkIP": "10.10.0.12",
        "name": "nic0",
        "fingerprint": "aBcDeF12345=",
        "stackType": "IPV4_ONLY",
    }
    if public_ip:
        interface["accessConfigs"] = [
            {
                "kind": "compute#accessConfig",
                "type": "ONE_TO_ONE_NAT",
                "name": "External NAT",
                "natIP": "34.77.10.21",
                "networkTier": "PREMIUM",
            }
        ]
    return {
        "kind": "compute#instance",
        "id": str(zlib.crc32(name.encode()) * 7919),
        "creationTimestamp": "2022-08-01T12:00:00.000-07:00",
        "name": name,
        "tags": {"items": ["web"], "fingerprint": "FYLDgkTKlA4="},
        "machineType": _link(project, f"zones/{zone}/machineTypes/e2-medium"),
        "status": "RUNNING",
        "zone": _link(project, f"zones/{zone}"),
        "canIpForward": False,
        "networkInterfaces": [interface],
        "disks": [
            {
                "kind": "compute#attachedDisk",
                "type": "PERSISTENT",
                "mode": "READ_WRITE",
                "source": _link(project, f"zones/{zone}/disks/{name}"),
                "deviceName": "persistent-disk-0",
                "index": 0,
                "boot": True,
                "autoDelete": True,
                "interface": "SCSI",
                "diskSizeGb": "20",
                "architecture": "X86_64",
            }
        ],
        "metadata": {"kind": "compute#metadata", "fingerprint": "kP3jV7x9aQ8=", "items": metadata},
        "serviceAccounts": [{"email": service_account, "scopes": scopes}],
        "selfLink": _link(project, f"zones/{zone}/instances/{name}"),
        "scheduling": {
            "onHostMaintenance": "MIGRATE",
            "automaticRestart": True,
            "preemptible": False,
            "provisioningModel": "STANDARD",
        },
        "cpuPlatform": "Intel Broadwell",
        "labels": {"env": "prod"},
        "labelFingerprint": "vezUS-42LLM=",
        "startRestricted": False,
        "deletionProtection": False,
        "shieldedInstanceConfig": {
            "enableSecureBoot": shielded,
            "enableVtpm": shielded,
            "enableIntegrityMonitoring": shielded,
        },
        "shieldedInstanceIntegrityPolicy": {"updateAutoLearnPolicy": True},
        "fingerprint": "Zp4lQ2bqH0E=",
        "lastStartTimestamp": "2024-11-02T04:10:00.000-07:00",
        **extra,
    }


def instances(project: str, number: str) -> list[dict[str, Any]]:
    default_sa = f"{number}-compute@developer.gserviceaccount.com"
    return [
        _instance(
            project,
            "europe-west1-b",
            "api-1",
            service_account=f"api@{project}.iam.gserviceaccount.com",
            scopes=["https://www.googleapis.com/auth/cloud-platform"],
            metadata=[{"key": "block-project-ssh-keys", "value": "true"}],
            public_ip=False,
            shielded=True,
            confidentialInstanceConfig={"enableConfidentialCompute": True},
        ),
        _instance(
            project,
            "us-central1-a",
            "legacy-vm",
            service_account=default_sa,
            scopes=["https://www.googleapis.com/auth/cloud-platform"],
            metadata=[
                {"key": "serial-port-enable", "value": "TRUE"},
                {"key": "enable-oslogin", "value": "FALSE"},
                {"key": "startup-script", "value": "export DB_PASSWORD=hunter2"},
            ],
            public_ip=True,
            shielded=False,
            canIpForward=True,
        ),
    ]


def compute_project(project: str, number: str, *, oslogin: bool) -> dict[str, Any]:
    items = [{"key": "enable-oslogin", "value": "TRUE" if oslogin else "FALSE"}]
    if not oslogin:
        items.append({"key": "ssh-keys", "value": "alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB alice"})
    return {
        "kind": "compute#project",
        "id": number,
        "creationTimestamp": "2019-11-05T02:10:00.000-08:00",
        "name": project,
        "commonInstanceMetadata": {"kind": "compute#metadata", "fingerprint": "Fq3dY4pQZ0o=", "items": items},
        "selfLink": _link(project, "").rstrip("/"),
        "defaultServiceAccount": f"{number}-compute@developer.gserviceaccount.com",
        "xpnProjectStatus": "UNSPECIFIED_XPN_PROJECT_STATUS",
        "defaultNetworkTier": "PREMIUM",
        "vmDnsSetting": "ZONAL_ONLY",
    }
