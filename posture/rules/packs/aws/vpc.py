"""VPC rules: peering routes reach no wider than the peer VPC, VPCs with workloads reach S3 through an endpoint."""

from __future__ import annotations

import ipaddress
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import same_region
from posture.rules.packs.aws.workloads import workloads
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ENDPOINT_FIELDS = ("VpcEndpointId", "VpcEndpointType", "ServiceName")


def network(cidr: Any) -> Network | None:
    try:
        return ipaddress.ip_network(str(cidr), strict=False)
    except ValueError:
        return None


def peer_cidrs(table: ResourceRecord, peering: dict[str, Any]) -> list[Network]:
    """The CIDR blocks of the VPC at the other end of the peering connection from the table's VPC."""
    requester = peering.get("RequesterVpcInfo") or {}
    peer = peering.get("AccepterVpcInfo") if requester.get("VpcId") == table.config.get("VpcId") else requester
    blocks = [b.get("CidrBlock") for b in (peer or {}).get("CidrBlockSet") or []] or [(peer or {}).get("CidrBlock")]
    blocks += [b.get("Ipv6CidrBlock") for b in (peer or {}).get("Ipv6CidrBlockSet") or []]
    return [n for n in map(network, blocks) if n is not None]


def too_wide(destination: Network, peers: list[Network]) -> bool:
    """A default route, or a destination outside every block of the peer VPC (when those are known)."""
    if destination.prefixlen == 0:
        return True
    known = [p for p in peers if p.version == destination.version]
    return bool(known) and not any(within(destination, p) for p in known)


def within(inner: Network, outer: Network) -> bool:
    return (
        int(outer.network_address)
        <= int(inner.network_address)
        <= int(inner.broadcast_address)
        <= int(outer.broadcast_address)
    )


def peering_routes(table: ResourceRecord, ctx: Any) -> list[tuple[int, dict[str, Any], list[Network]]]:
    connections = same_region(ctx, "aws.vpc.peering_connection", table.region)
    peerings = {r.config.get("VpcPeeringConnectionId"): r.config for r in connections}
    found = []
    for n, route in enumerate(table.config.get("Routes") or []):
        if route.get("VpcPeeringConnectionId"):
            found.append((n, route, peer_cidrs(table, peerings.get(route["VpcPeeringConnectionId"]) or {})))
    return found


@rule(
    id="aws.vpc.peering_routes_least_access",
    title="Routes to a VPC peering connection reach no wider than the peer VPC",
    severity="medium",
    category="network",
    resource_type="aws.vpc.route_table",
    rationale="A peering route to 0.0.0.0/0 (or any range wider than the peer VPC) sends traffic meant for "
    "elsewhere to the peer and lets far more of the VPC talk to it than the peering needs.",
    remediation="aws ec2 replace-route (or delete-route) so that each peering route's destination is the peer "
    "VPC's CIDR block or the subnets of it that need to be reached.",
)
def peering_routes_least_access(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    routes = peering_routes(resource, ctx)
    if not routes:
        return None
    wide = []
    for n, route, peers in routes:
        destination = network(route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock"))
        if destination is not None and too_wide(destination, peers):  # a prefix list is left to review
            wide.append(Evidence(f"Routes.{n}", {k: route.get(k) for k in route if k != "State"}))
    return check(
        not wide,
        f"{len(routes)} peering route(s) reach no wider than their peer VPC",
        f"{len(wide)} peering route(s) reach wider than the peer VPC",
        *(wide or [Evidence(f"Routes.{n}", route) for n, route, _ in routes]),
    )


def s3_endpoints(ctx: Any, region: str, vpc_id: str) -> list[dict[str, Any]]:
    return [
        r.config
        for r in same_region(ctx, "aws.vpc.endpoint", region)
        if r.config.get("VpcId") == vpc_id
        and str(r.config.get("ServiceName", "")).endswith(".s3")
        and str(r.config.get("State", "")).lower() == "available"
    ]


@rule(
    id="aws.vpc.s3_endpoint_for_workloads",
    title="VPCs running workloads reach Amazon S3 through a VPC endpoint",
    severity="low",
    category="network",
    resource_type="aws.ec2.vpc",
    rationale="Without an endpoint, S3 traffic leaves through an internet or NAT gateway; with one it stays on the "
    "AWS network and an endpoint policy can limit which buckets the VPC may reach.",
    remediation="aws ec2 create-vpc-endpoint --vpc-id VPC --service-name com.amazonaws.REGION.s3 "
    "--vpc-endpoint-type Gateway --route-table-ids TABLES (and endpoints for the other services the VPC uses).",
)
def s3_endpoint_for_workloads(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    vpc_id = resource.config.get("VpcId")
    inside = sorted(w.uid for w in workloads(ctx, resource.region) if w.vpc == vpc_id)
    if not inside:
        return None
    endpoints = s3_endpoints(ctx, resource.region, str(vpc_id))
    return check(
        bool(endpoints),
        f"the VPC reaches S3 through {endpoints[0].get('VpcEndpointId') if endpoints else ''}",
        f"the VPC runs {len(inside)} workload(s) and has no available S3 endpoint",
        ("S3 endpoints", [{k: e.get(k) for k in ENDPOINT_FIELDS} for e in endpoints]),
        ("workloads in the VPC", inside[:20]),
    )
