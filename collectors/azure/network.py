"""Networking: NSGs and their rules, Network Watchers and their flow logs, virtual networks and subnets,
Application Gateways and their WAF policies, Bastion hosts, virtual network gateways (point-to-site settings) and
public IP addresses, network security perimeters and the resources associated with them."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from collectors.azure.arm_lists import resources_of_type
from collectors.azure.common import per_subscription, record, resource_group, secondary, to_json
from collectors.azure.inventory import listed
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

WAF_POLICIES = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies"


def _flow_logs(client: Any, rg: str, watcher: str) -> list[dict[str, Any]]:
    return [to_json(f) for f in client.flow_logs.list(rg, watcher)]


def _virtual_network_gateways(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    """Each gateway in full (the SDK lists them per resource group only: found through the generic listing)."""
    client = session.client("network", sub.subscription_id)
    found = resources_of_type(session, sub.subscription_id, "Microsoft.Network/virtualNetworkGateways")
    for item in found:
        gateway = to_json(client.virtual_network_gateways.get(resource_group(item["id"]), item["name"]))
        yield record("network", "virtual_network_gateway", gateway)


def _perimeters(session: AzureSession, sub: Subscription) -> ResourceRecord:
    """The subscription's network security perimeters and their resource associations, on one record."""
    client = session.client("network", sub.subscription_id)
    errors: dict[str, str] = {}

    def associations() -> list[dict[str, Any]]:
        found = []
        for perimeter in client.network_security_perimeters.list_by_subscription():
            nsp = to_json(perimeter)
            for item in client.network_security_perimeter_associations.list(resource_group(nsp["id"]), nsp["name"]):
                p = to_json(item).get("properties") or {}
                found.append(
                    {
                        "perimeter": nsp["id"],
                        "resourceId": (p.get("privateLinkResource") or {}).get("id"),
                        "accessMode": p.get("accessMode"),
                    }
                )
        return found

    config: dict[str, Any] = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Network/networkSecurityPerimeters",
        "name": f"Network security perimeters of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "associations": secondary(errors, "associations", associations),
    }
    if errors:
        config["_errors"] = errors
    return record("network", "security_perimeters", config)


def _network_records(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("network", sub.subscription_id)
    watchers = list(listed(session, sub, "Microsoft.Network/networkWatchers", client.network_watchers.list_all))
    flow_logs: list[dict[str, Any]] = []
    for watcher in watchers:
        errors: dict[str, str] = {}
        rg, name = resource_group(watcher["id"]), watcher["name"]
        logs = secondary(errors, "flowLogs", partial(_flow_logs, client, rg, name))
        flow_logs.extend(logs or [])
        extra: dict[str, Any] = {"_errors": errors} if errors else {}
        yield record("network", "watcher", watcher, **extra)
    for log in flow_logs:
        yield record("network", "flow_log", log)
    by_target: dict[str, list[dict[str, Any]]] = {}
    for log in flow_logs:
        target = str((log.get("properties") or {}).get("targetResourceId") or "").lower()
        by_target.setdefault(target, []).append(
            {"id": log["id"], "enabled": (log.get("properties") or {}).get("enabled")}
        )
    for config in listed(
        session, sub, "Microsoft.Network/networkSecurityGroups", client.network_security_groups.list_all
    ):
        yield record("network", "security_group", config, _flowLogs=by_target.get(config["id"].lower(), []))
    for config in listed(session, sub, "Microsoft.Network/virtualNetworks", client.virtual_networks.list_all):
        yield record("network", "virtual_network", config, _flowLogs=by_target.get(config["id"].lower(), []))
    coverage = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Network/networkWatchers",
        "name": f"Network Watchers of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "watcherLocations": sorted({str(w.get("location", "")).lower() for w in watchers}),
    }
    yield record("network", "watcher_coverage", coverage)
    for gateway in listed(session, sub, "Microsoft.Network/applicationGateways", client.application_gateways.list_all):
        yield record("network", "application_gateway", gateway)
    policies = listed(session, sub, WAF_POLICIES, client.web_application_firewall_policies.list_all)
    for policy in policies:
        yield record("network", "waf_policy", policy)
    bastions = listed(session, sub, "Microsoft.Network/bastionHosts", client.bastion_hosts.list)
    summary = {
        "id": f"/subscriptions/{sub.subscription_id}/providers/Microsoft.Network/bastionHosts",
        "name": f"Bastion hosts of {sub.display_name or sub.subscription_id}",
        "subscriptionId": sub.subscription_id,
        "bastionHosts": [{"id": b["id"], "name": b.get("name"), "location": b.get("location")} for b in bastions],
    }
    yield record("network", "bastion_hosts", summary)
    for address in client.public_ip_addresses.list_all():
        yield record("network", "public_ip", to_json(address))
    yield _perimeters(session, sub)
    yield from _virtual_network_gateways(session, sub)


@REGISTRY.collector(
    "azure",
    "network",
    regional=False,
    permissions=(
        "Microsoft.Network/networkWatchers/read",
        "Microsoft.Network/networkWatchers/flowLogs/read",
        "Microsoft.Network/networkSecurityGroups/read",
        "Microsoft.Network/virtualNetworks/read",
        "Microsoft.Network/applicationGateways/read",
        "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/read",
        "Microsoft.Network/bastionHosts/read",
        "Microsoft.Network/publicIPAddresses/read",
        "Microsoft.Resources/subscriptions/resources/read",
        "Microsoft.Network/virtualNetworkGateways/read",
        "Microsoft.Network/networkSecurityPerimeters/read",
        "Microsoft.Network/networkSecurityPerimeters/resourceAssociations/read",
    ),
)
def collect_network(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _network_records(session, sub))
