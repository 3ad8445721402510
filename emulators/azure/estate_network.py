"""Estate builders for networking: NSGs and rules, Network Watchers and flow logs, virtual networks,
Application Gateways, WAF policies and Bastion hosts, as ARM returns them."""

from __future__ import annotations

import zlib
from typing import Any

from emulators.azure.estate import rg_id


def security_rule(
    nsg_id: str,
    name: str,
    *,
    port: str,
    source: str = "*",
    protocol: str = "Tcp",
    access: str = "Allow",
    direction: str = "Inbound",
    priority: int = 100,
) -> dict[str, Any]:
    return {
        "name": name,
        "id": f"{nsg_id}/securityRules/{name}",
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "properties": {
            "provisioningState": "Succeeded",
            "protocol": protocol,
            "sourcePortRange": "*",
            "destinationPortRange": port,
            "sourceAddressPrefix": source,
            "destinationAddressPrefix": "*",
            "access": access,
            "priority": priority,
            "direction": direction,
            "sourcePortRanges": [],
            "destinationPortRanges": [],
            "sourceAddressPrefixes": [],
            "destinationAddressPrefixes": [],
        },
    }


def network_security_group(
    sub: str, rg: str, name: str, location: str = "westeurope", rules: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    nid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/networkSecurityGroups/{name}"
    defaults = [
        security_rule(nid, "AllowVnetInBound", port="*", source="VirtualNetwork", protocol="*", priority=65000),
        security_rule(
            nid, "AllowAzureLoadBalancerInBound", port="*", source="AzureLoadBalancer", protocol="*", priority=65001
        ),
        security_rule(nid, "DenyAllInBound", port="*", source="*", protocol="*", access="Deny", priority=65500),
    ]
    for rule in defaults:
        rule["id"] = rule["id"].replace("/securityRules/", "/defaultSecurityRules/")
        rule["type"] = "Microsoft.Network/networkSecurityGroups/defaultSecurityRules"
        rule["properties"]["description"] = "Default rule"
    return {
        "name": name,
        "id": nid,
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "type": "Microsoft.Network/networkSecurityGroups",
        "location": location,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": f"00000000-0000-0000-0000-{zlib.crc32(nid.encode()):012d}",
            "securityRules": [r(nid) if callable(r) else r for r in (rules or [])],
            "defaultSecurityRules": defaults,
        },
    }


def network_watcher(sub: str, location: str) -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, 'NetworkWatcherRG')}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_{location}",
        "name": f"NetworkWatcher_{location}",
        "type": "Microsoft.Network/networkWatchers",
        "location": location,
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "properties": {"provisioningState": "Succeeded"},
    }


def flow_log(
    watcher: dict[str, Any],
    name: str,
    target_id: str,
    *,
    enabled: bool = True,
    days: int = 90,
    analytics: bool = True,
    workspace: str = "",
    storage_id: str = "",
) -> dict[str, Any]:
    return {
        "id": f"{watcher['id']}/flowLogs/{name}",
        "name": name,
        "type": "Microsoft.Network/networkWatchers/flowLogs",
        "location": watcher["location"],
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "properties": {
            "provisioningState": "Succeeded",
            "targetResourceId": target_id,
            "targetResourceGuid": "00000000-0000-0000-0000-000000000000",
            "storageId": storage_id,
            "enabled": enabled,
            "format": {"type": "JSON", "version": 2},
            "retentionPolicy": {"days": days, "enabled": days > 0},
            "flowAnalyticsConfiguration": {
                "networkWatcherFlowAnalyticsConfiguration": {
                    "enabled": analytics,
                    "workspaceResourceId": workspace,
                    "trafficAnalyticsInterval": 10,
                }
            },
        },
    }


def virtual_network(
    sub: str,
    rg: str,
    name: str,
    location: str = "westeurope",
    subnets: dict[str, str | None] | None = None,
    ddos_plan: str = "",
) -> dict[str, Any]:
    """A virtual network; ``subnets`` maps subnet name -> NSG id (None: no NSG)."""
    vid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/virtualNetworks/{name}"
    items = []
    for n, (subnet, nsg) in enumerate((subnets or {}).items()):
        props: dict[str, Any] = {
            "addressPrefix": f"10.{n}.0.0/24",
            "provisioningState": "Succeeded",
            "privateEndpointNetworkPolicies": "Disabled",
        }
        if nsg:
            props["networkSecurityGroup"] = {"id": nsg}
        items.append(
            {
                "name": subnet,
                "id": f"{vid}/subnets/{subnet}",
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "properties": props,
            }
        )
    properties: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "resourceGuid": f"00000000-0000-0000-0001-{zlib.crc32(vid.encode()):012d}",
        "addressSpace": {"addressPrefixes": ["10.0.0.0/8"]},
        "subnets": items,
        "virtualNetworkPeerings": [],
        "enableDdosProtection": bool(ddos_plan),
    }
    if ddos_plan:
        properties["ddosProtectionPlan"] = {"id": ddos_plan}
    return {
        "name": name,
        "id": vid,
        "type": "Microsoft.Network/virtualNetworks",
        "location": location,
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "properties": properties,
    }


def application_gateway(
    sub: str,
    rg: str,
    name: str,
    location: str = "westeurope",
    *,
    tier: str = "WAF_v2",
    waf_policy: str = "",
    ssl_policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    gid = f"{rg_id(sub, rg)}/providers/Microsoft.Network/applicationGateways/{name}"
    properties: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "operationalState": "Running",
        "sku": {"name": tier, "tier": tier, "capacity": 2},
        "enableHttp2": True,
        "gatewayIPConfigurations": [],
        "frontendIPConfigurations": [],
        "frontendPorts": [{"name": "https", "properties": {"port": 443}}],
        "httpListeners": [{"name": "https", "properties": {"protocol": "Https"}}],
        "defaultPredefinedSslPolicy": "AppGwSslPolicy20220101",
    }
    if ssl_policy is not None:
        properties["sslPolicy"] = ssl_policy
    if waf_policy:
        properties["firewallPolicy"] = {"id": waf_policy}
    return {
        "id": gid,
        "name": name,
        "type": "Microsoft.Network/applicationGateways",
        "location": location,
        "etag": 'W/"00000000-0000-0000-0000-000000000000"',
        "properties": properties,
    }


def waf_policy(
    sub: str,
    rg: str,
    name: str,
    location: str = "westeurope",
    *,
    body_check: bool = True,
    bot_manager: bool = True,
    gateways: list[str] | None = None,
) -> dict[str, Any]:
    rule_sets = [{"ruleSetType": "OWASP", "ruleSetVersion": "3.2", "ruleGroupOverrides": []}]
    if bot_manager:
        rule_sets.append({"ruleSetType": "Microsoft_BotManagerRuleSet", "ruleSetVersion": "1.0"})
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/{name}",
        "name": name,
        "type": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
        "location": location,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceState": "Enabled",
            "policySettings": {
                "state": "Enabled",
                "mode": "Prevention",
                "requestBodyCheck": body_check,
                "maxRequestBodySizeInKb": 128,
                "fileUploadLimitInMb": 100,
            },
            "customRules": [],
            "managedRules": {"managedRuleSets": rule_sets, "exclusions": []},
            "applicationGateways": [{"id": g} for g in gateways or []],
        },
    }


def bastion_host(sub: str, rg: str, name: str, location: str = "westeurope") -> dict[str, Any]:
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Network/bastionHosts/{name}",
        "name": name,
        "type": "Microsoft.Network/bastionHosts",
        "location": location,
        "sku": {"name": "Standard"},
        "properties": {
            "provisioningState": "Succeeded",
            "dnsName": f"bst-{name}.bastion.azure.com",
            "ipConfigurations": [],
            "scaleUnits": 2,
        },
    }
