"""VPC networks, firewall rules, subnetworks and Private Service Connect."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import project_of, resource_path, same_project
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, errored, lookup, observed, unreadable

OPEN_RANGES = ("0.0.0.0/0", "::/0")


@rule(
    id="gcp.compute.network_not_default",
    title="The default network does not exist",
    severity="medium",
    category="network",
    resource_type="gcp.compute.network",
    rationale="The default network comes with permissive firewall rules and auto-created subnets.",
    remediation="Create custom networks for workloads and delete the default network.",
)
def not_default(resource: ResourceRecord, ctx) -> Verdict:
    return check(
        resource.config.get("name") != "default",
        "this is not the default network",
        "the project still has the default network",
        observed(resource.config, "name"),
        observed(resource.config, "autoCreateSubnetworks"),
    )


field_rule(
    id="gcp.compute.network_not_legacy",
    title="The network is not a legacy network",
    severity="medium",
    category="network",
    resource_type="gcp.compute.network",
    path="IPv4Range",
    expect=lambda value: not value,
    ok="this is a VPC network",
    bad="this is a legacy network",
    rationale="Legacy networks have one global IP range, no subnetworks and no flow logs.",
    remediation="Move workloads to a VPC network and delete the legacy network.",
)


def _port_open(allowed: list[dict[str, Any]], port: int) -> bool:
    for entry in allowed:
        protocol = str(entry.get("IPProtocol", "")).lower()
        if protocol not in ("tcp", "all", "6"):
            continue
        ports = entry.get("ports") or []
        if not ports:
            return True
        for spec in ports:
            low, _, high = str(spec).partition("-")
            try:
                if int(low) <= port <= int(high or low):
                    return True
            except ValueError:
                continue
    return False


def _open_to_internet(resource: ResourceRecord, port: int) -> tuple[bool, list[Any]]:
    c = resource.config
    if c.get("direction", "INGRESS") != "INGRESS" or c.get("disabled") is True:
        return False, []
    ranges = [r for r in c.get("sourceRanges") or [] if r in OPEN_RANGES]
    return bool(ranges) and _port_open(c.get("allowed") or [], port), ranges


def _port_rule(port: int, name: str):
    def evaluate(resource: ResourceRecord, ctx) -> Verdict:
        open_, ranges = _open_to_internet(resource, port)
        return check(
            not open_,
            f"{name} (tcp/{port}) is not open to the internet",
            f"{name} (tcp/{port}) is open to {', '.join(ranges)}",
            observed(resource.config, "sourceRanges"),
            observed(resource.config, "allowed"),
            observed(resource.config, "direction"),
            observed(resource.config, "disabled"),
        )

    return evaluate


ssh_restricted = rule(
    id="gcp.compute.firewall_ssh_restricted",
    title="Firewall rule does not allow SSH from the internet",
    severity="high",
    category="exposure",
    resource_type="gcp.compute.firewall",
    rationale="SSH open to the internet invites brute force and exploitation of the SSH service.",
    remediation="Restrict the source ranges (for example to IAP's 35.235.240.0/20) or delete the rule.",
)(_port_rule(22, "SSH"))


rdp_restricted = rule(
    id="gcp.compute.firewall_rdp_restricted",
    title="Firewall rule does not allow RDP from the internet",
    severity="high",
    category="exposure",
    resource_type="gcp.compute.firewall",
    rationale="RDP open to the internet is a common ransomware entry point.",
    remediation="Restrict the source ranges (for example to IAP's 35.235.240.0/20) or delete the rule.",
)(_port_rule(3389, "RDP"))


@rule(
    id="gcp.compute.subnetwork_flow_logs",
    title="VPC Flow Logs are enabled on the subnetwork",
    severity="medium",
    category="logging",
    resource_type="gcp.compute.subnetwork",
    rationale="Flow logs record the network traffic needed to investigate an incident.",
    remediation="Enable flow logs (5-second aggregation, sample rate 1, all metadata) on every subnetwork.",
)
def flow_logs(resource: ResourceRecord, ctx) -> Verdict | None:
    c = resource.config
    if c.get("purpose") not in (None, "", "PRIVATE", "PRIVATE_RFC_1918"):
        return None  # proxy-only and Private Service Connect subnets carry no VM traffic to log
    return check(
        lookup(c, "logConfig.enable") is True or c.get("enableFlowLogs") is True,
        "flow logs are on",
        "flow logs are off",
        observed(c, "logConfig.enable"),
        observed(c, "logConfig.flowSampling"),
        observed(c, "logConfig.aggregationInterval"),
    )


# -- private service connect ----------------------------------------------------
@rule(
    id="gcp.compute.network_google_apis_private_endpoint",
    title="VPC networks reach Google APIs through a Private Service Connect endpoint",
    severity="low",
    category="network",
    resource_type="gcp.compute.network",
    rationale="A Private Service Connect endpoint for Google APIs keeps the network's API traffic on an internal "
    "address (with the vpc-sc bundle, only to services VPC Service Controls supports).",
    remediation="Create a global forwarding rule with target all-apis or vpc-sc on an internal address of the "
    "network, and DNS records for googleapis.com pointing at it.",
)
def network_google_apis_endpoint(resource: ResourceRecord, ctx) -> Verdict:
    summaries = same_project(ctx, "gcp.compute.google_api_endpoints", resource)
    if not summaries:
        return errored("the project's global forwarding rules were not read", ("google_api_endpoints", None))
    summary = summaries[0]
    problem = unreadable(summary, "endpoints", "the global forwarding rules")
    if problem:
        return problem
    mine = (
        resource_path(resource.config.get("selfLink"))
        or f"projects/{project_of(resource)}/global/networks/{resource.name}"
    )
    endpoints = [
        e.get("name") for e in summary.config.get("endpoints") or [] if resource_path(e.get("network")) == mine
    ]
    return check(
        bool(endpoints),
        f"endpoint {', '.join(str(e) for e in endpoints)} serves Google APIs to the network",
        "no Private Service Connect endpoint for Google APIs is in the network",
        ("google_api_endpoints[network].name", endpoints),
    )
