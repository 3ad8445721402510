"""Estate builders for data protection and governance of the management plane, as ARM returns them: blob
services (soft delete, versioning), management locks, Application Insights components, Defender for Cloud
settings and 2023-12-01-preview security contacts, public IP addresses and virtual network gateways; and
:func:`management`, what the demo subscription holds of them.
"""

from __future__ import annotations

from typing import Any

from emulators.azure.estate import TENANT, rg_id
from emulators.azure.estate_governance import custom_role, diagnostic_setting, role_assignment

# The audience of the Microsoft-registered Azure VPN Client app (Entra ID authentication for point-to-site).
AZURE_VPN_AUDIENCE = "c632b3df-fb67-4d84-bdcf-b95ad541b5c8"
LOCK_ADMIN_ROLE = "c0570000-0000-4000-8000-00000000010c"
LOCK_ADMIN_ASSIGNMENT = "0b1c0000-0000-4000-8000-00000000010c"
OPS = "a1000000-0000-4000-8000-000000000006"  # the platform team's operations group


def blob_services(
    account: dict[str, Any], *, blob_days: int | None = 7, container_days: int | None = 7, versioning: bool = True
) -> dict[str, Any]:
    """``{account}/blobServices/default``; a ``None`` retention is that soft delete turned off."""

    def retention(days: int | None) -> dict[str, Any]:
        return {"enabled": True, "days": days} if days else {"enabled": False}

    return {
        "id": f"{account['id']}/blobServices/default",
        "name": "default",
        "type": "Microsoft.Storage/storageAccounts/blobServices",
        "sku": account["sku"],
        "properties": {
            "cors": {"corsRules": []},
            "deleteRetentionPolicy": {**retention(blob_days), "allowPermanentDelete": False},
            "containerDeleteRetentionPolicy": retention(container_days),
            "isVersioningEnabled": versioning,
            "changeFeed": {"enabled": versioning},
        },
    }


def management_lock(scope: str, name: str, level: str = "CanNotDelete", notes: str = "") -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/locks/{name}",
        "name": name,
        "type": "Microsoft.Authorization/locks",
        "properties": {"level": level, "notes": notes or f"{level} lock", "owners": []},
    }


def app_insights(sub: str, rg: str, name: str, location: str = "westeurope", workspace: str = "") -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, rg)}/providers/microsoft.insights/components/{name}",
        "name": name,
        "type": "microsoft.insights/components",
        "location": location,
        "tags": {},
        "kind": "web",
        "etag": '"0d00f2e4-0000-0d00-0000-65e1b3d10000"',
        "properties": {
            "ApplicationId": name,
            "AppId": "7f3b6c2e-1a4d-4e8f-9b0c-5d6e7f8a9b0c",
            "Application_Type": "web",
            "Flow_Type": "Bluefield",
            "Request_Source": "rest",
            "CreationDate": "2024-03-01T09:00:00.0000000+00:00",
            "TenantId": sub,
            "provisioningState": "Succeeded",
            "RetentionInDays": 90,
            "WorkspaceResourceId": workspace or None,
            "IngestionMode": "LogAnalytics" if workspace else "ApplicationInsights",
            "publicNetworkAccessForIngestion": "Enabled",
            "publicNetworkAccessForQuery": "Enabled",
            "DisableLocalAuth": False,
        },
    }


def security_setting(sub: str, name: str, enabled: bool) -> dict[str, Any]:
    """``Microsoft.Security/settings/{MCAS|WDATP|...}`` (kind DataExportSettings; Sentinel: AlertSyncSettings)."""
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/settings/{name}",
        "name": name,
        "type": "Microsoft.Security/settings",
        "kind": "AlertSyncSettings" if name == "Sentinel" else "DataExportSettings",
        "properties": {"enabled": enabled},
    }


def vulnerability_assessment_setting(sub: str, provider: str = "MdeTvm") -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/serverVulnerabilityAssessmentsSettings/"
        "AzureServersSetting",
        "name": "AzureServersSetting",
        "type": "Microsoft.Security/serverVulnerabilityAssessmentsSettings",
        "kind": "AzureServersSetting",
        "properties": {"selectedProvider": provider},
    }


def plan_extension(name: str, enabled: bool, **properties: str) -> dict[str, Any]:
    """One entry of a pricing's ``extensions`` (2024-01-01): ``isEnabled`` is the string "True" or "False"."""
    extension: dict[str, Any] = {"name": name, "isEnabled": "True" if enabled else "False"}
    if properties:
        extension["additionalExtensionProperties"] = dict(properties)
    if enabled:
        extension["operationStatus"] = {"code": "Succeeded", "message": "Extension enabled"}
    return extension


def security_contact(
    sub: str,
    emails: str = "secops@example.com",
    *,
    alert_severity: str | None = "Medium",
    attack_path_risk: str | None = "Critical",
    roles: list[str] | None = None,
    enabled: bool = True,
) -> dict[str, Any]:
    """The default security contact as 2023-12-01-preview returns it (``isEnabled``, ``notificationsSources``)."""
    sources: list[dict[str, Any]] = []
    if alert_severity:
        sources.append({"sourceType": "Alert", "minimalSeverity": alert_severity})
    if attack_path_risk:
        sources.append({"sourceType": "AttackPath", "minimalRiskLevel": attack_path_risk})
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Security/securityContacts/default",
        "name": "default",
        "type": "Microsoft.Security/securityContacts",
        "properties": {
            "emails": emails,
            "phone": "",
            "isEnabled": enabled,
            "notificationsByRole": {"state": "On", "roles": roles if roles is not None else ["Owner"]},
            "notificationsSources": sources,
        },
    }


def public_ip(sub: str, rg: str, name: str, address: str, location: str = "westeurope", attached: str = "") -> dict:
    properties: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "resourceGuid": "3c5c1a7e-2b4d-4f6a-8e9c-0d1e2f3a4b5c",
        "ipAddress": address,
        "publicIPAddressVersion": "IPv4",
        "publicIPAllocationMethod": "Static",
        "idleTimeoutInMinutes": 4,
        "ipTags": [],
    }
    if attached:
        properties["ipConfiguration"] = {"id": attached}
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/publicIPAddresses/{name}",
        "name": name,
        "type": "Microsoft.Network/publicIPAddresses",
        "location": location,
        "sku": {"name": "Standard", "tier": "Regional"},
        "zones": ["1", "2", "3"],
        "properties": properties,
    }


def vpn_gateway(
    sub: str, rg: str, name: str, location: str = "westeurope", *, auth_types: list[str] | None = None
) -> dict[str, Any]:
    """A route-based VPN gateway with a point-to-site configuration authenticating with ``auth_types``."""
    gid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworkGateways/{name}"
    types = auth_types if auth_types is not None else ["AAD"]
    client: dict[str, Any] = {
        "vpnClientAddressPool": {"addressPrefixes": ["172.16.201.0/24"]},
        "vpnClientProtocols": ["OpenVPN"] if "AAD" in types else ["IkeV2", "OpenVPN"],
        "vpnAuthenticationTypes": types,
        "vpnClientRootCertificates": [],
        "vpnClientRevokedCertificates": [],
        "radiusServerAddress": None,
    }
    if "AAD" in types:
        client.update(
            aadTenant=f"https://login.microsoftonline.com/{TENANT}/",
            aadAudience=AZURE_VPN_AUDIENCE,
            aadIssuer=f"https://sts.windows.net/{TENANT}/",
        )
    if "Certificate" in types:
        client["vpnClientRootCertificates"] = [
            {
                "id": f"{gid}/vpnClientRootCertificates/p2s-root",
                "name": "p2s-root",
                "properties": {"provisioningState": "Succeeded", "publicCertData": "MIIC5zCCAc+gAwIBAgIQ"},
            }
        ]
    return {
        "id": gid,
        "name": name,
        "type": "Microsoft.Network/virtualNetworkGateways",
        "location": location,
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "properties": {
            "provisioningState": "Succeeded",
            "gatewayType": "Vpn",
            "vpnType": "RouteBased",
            "vpnGatewayGeneration": "Generation2",
            "enableBgp": False,
            "activeActive": False,
            "sku": {"name": "VpnGw2AZ", "tier": "VpnGw2AZ", "capacity": 2},
            "ipConfigurations": [],
            "vpnClientConfiguration": client,
        },
    }


def benchmark_assignment(sub: str, disabled: tuple[str, ...] = ()) -> dict[str, Any]:
    """Defender for Cloud's default assignment of the Microsoft cloud security benchmark; ``disabled``: effect
    parameters set to Disabled."""
    return {
        "id": f"/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments/SecurityCenterBuiltIn",
        "name": "SecurityCenterBuiltIn",
        "type": "Microsoft.Authorization/policyAssignments",
        "properties": {
            "displayName": f"ASC Default (subscription: {sub})",
            "policyDefinitionId": "/providers/Microsoft.Authorization/policySetDefinitions/"
            "1f3afdf9-d0c9-4c3d-847f-89da613e70a8",
            "scope": f"/subscriptions/{sub}",
            "notScopes": [],
            "parameters": {name: {"value": "Disabled"} for name in disabled},
            "enforcementMode": "Default",
            "metadata": {"assignedBy": "Security Center", "createdBy": None},
        },
    }


def iot_hub(sub: str, rg: str, name: str, location: str = "westeurope") -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Devices/IotHubs/{name}",
        "name": name,
        "type": "Microsoft.Devices/IotHubs",
        "location": location,
        "tags": {},
        "sku": {"name": "S1", "tier": "Standard", "capacity": 1},
        "properties": {"state": "Active", "hostName": f"{name}.azure-devices.net", "provisioningState": "Succeeded"},
    }


def iot_security_solution(sub: str, rg: str, name: str, hubs: list[str], status: str = "Enabled") -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Security/IoTSecuritySolutions/{name}",
        "name": name,
        "type": "Microsoft.Security/IoTSecuritySolutions",
        "location": "westeurope",
        "tags": {},
        "properties": {
            "displayName": name,
            "status": status,
            "export": [],
            "disabledDataSources": [],
            "iotHubs": hubs,
            "userDefinedResources": {"query": "", "querySubscriptions": []},
            "autoDiscoveredResources": hubs,
            "recommendationsConfiguration": [],
            "unmaskedIpLoggingStatus": "Disabled",
        },
    }


def security_perimeter(sub: str, rg: str, name: str, location: str = "westeurope") -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/networkSecurityPerimeters/{name}",
        "name": name,
        "type": "Microsoft.Network/networkSecurityPerimeters",
        "location": location,
        "tags": {},
        "properties": {"provisioningState": "Succeeded", "perimeterGuid": "5f0d8a4e-7c1b-4a2d-9e3f-1b2c3d4e5f60"},
    }


def perimeter_association(perimeter: dict[str, Any], resource_id: str, mode: str = "Enforced") -> dict[str, Any]:
    name = resource_id.rsplit("/", 1)[-1]
    return {
        "id": f"{perimeter['id']}/resourceAssociations/{name}",
        "name": name,
        "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
        "location": perimeter["location"],
        "properties": {
            "provisioningState": "Succeeded",
            "privateLinkResource": {"id": resource_id},
            "profile": {"id": f"{perimeter['id']}/profiles/default"},
            "accessMode": mode,
            "hasProvisioningIssues": "no",
        },
    }


def _by_suffix(resources: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(r for r in resources if r["id"].lower().endswith(suffix.lower()))


def management(resources: list[dict[str, Any]], sub: str) -> None:
    """What the demo subscription holds of these, well kept in ``platform`` and neglected in ``legacy``.

    Wrong on purpose: ``stlegacydata`` keeps no deleted blobs or containers, no versions, no lock, no blob logs,
    locally redundant, keys never rotated; the VPN gateway ``vpngw-legacy`` takes certificates besides Entra ID;
    ``agw-legacy`` has HTTP/2 off; Defender's File Integrity Monitoring is off and attack paths are not emailed;
    the IoT hub ``iot-legacy`` has no Defender for IoT; there is no Defender EASM workspace; ``stlegacydata``,
    open to the Internet, is in no network security perimeter; the spare public IP is unattached and Basic.
    The platform team administers locks through a custom role.
    """
    logs = _by_suffix(resources, "/storageAccounts/stprodlogs")
    legacy = _by_suffix(resources, "/storageAccounts/stlegacydata")
    resources += [
        blob_services(logs),
        blob_services(legacy, blob_days=None, container_days=None, versioning=False),
        management_lock(logs["id"], "do-not-delete"),
    ]
    platform = rg_id(sub, "platform")
    workspace = f"{platform}/providers/Microsoft.OperationalInsights/workspaces/central-logs"
    resources.append(
        diagnostic_setting(f"{logs['id']}/blobServices/default", "blob-logs", [], workspace=workspace, group="allLogs")
    )
    lock_admin = custom_role(sub, LOCK_ADMIN_ROLE, "Resource Lock Administrator", ["Microsoft.Authorization/locks/*"])
    resources += [
        lock_admin,
        role_assignment(f"/subscriptions/{sub}", LOCK_ADMIN_ASSIGNMENT, LOCK_ADMIN_ROLE, OPS, "Group"),
    ]
    resources.append(app_insights(sub, "platform", "appi-storefront", workspace=workspace))
    resources += [
        security_setting(sub, "MCAS", True),
        security_setting(sub, "WDATP", True),
        security_setting(sub, "Sentinel", False),
        vulnerability_assessment_setting(sub),
    ]
    servers = _by_suffix(resources, "/providers/Microsoft.Security/pricings/VirtualMachines")
    servers["properties"]["extensions"] = [
        plan_extension("MdeDesignatedSubscription", False),
        plan_extension("AgentlessVmScanning", True, ExclusionTags="[]"),
        plan_extension("FileIntegrityMonitoring", False),
    ]
    contact = _by_suffix(resources, "/providers/Microsoft.Security/securityContacts/default")
    resources[resources.index(contact)] = security_contact(sub, alert_severity="High", attack_path_risk=None)
    gateway = _by_suffix(resources, "/applicationGateways/agw-edge")
    _by_suffix(resources, "/applicationGateways/agw-legacy")["properties"]["enableHttp2"] = False
    resources += [
        public_ip(
            sub, "platform", "pip-agw-edge", "20.61.14.7", attached=f"{gateway['id']}/frontendIPConfigurations/p"
        ),
        {
            **public_ip(sub, "legacy", "pip-legacy-spare", "52.170.3.91", "eastus"),
            "sku": {"name": "Basic", "tier": "Regional"},
        },
        vpn_gateway(sub, "platform", "vpngw-hub"),
        vpn_gateway(sub, "legacy", "vpngw-legacy", "eastus", auth_types=["Certificate", "AAD"]),
    ]
    perimeter = security_perimeter(sub, "platform", "nsp-platform")
    resources += [perimeter, perimeter_association(perimeter, logs["id"])]
    factory = iot_hub(sub, "platform", "iot-factory")
    resources += [
        benchmark_assignment(sub),
        factory,
        iot_hub(sub, "legacy", "iot-legacy", "eastus"),
        iot_security_solution(sub, "platform", "iot-factory-defender", [factory["id"]]),
    ]
