"""VPC routing and private access per region: route tables, peering connections and VPC endpoints.

Their own unit (``vpc``), apart from ``ec2``'s, so that a failure here keeps what ``ec2`` found.
"""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import paginate, record, tags_of
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


def arn(region: str, account: str, kind: str, ident: str) -> str:
    return f"arn:aws:ec2:{region}:{account}:{kind}/{ident}"


@REGISTRY.collector(
    "aws",
    "vpc",
    permissions=(
        "ec2:DescribeRouteTables",
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeVpcEndpoints",
    ),
)
def collect_vpc_routing(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    ec2 = session.client("ec2", region)
    account = session.account_id()
    listings = (
        ("describe_route_tables", "RouteTables", "RouteTableId", "route-table", "vpc.route_table"),
        ("describe_vpc_peering_connections", "VpcPeeringConnections", "VpcPeeringConnectionId",
         "vpc-peering-connection", "vpc.peering_connection"),
        ("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId", "vpc-endpoint", "vpc.endpoint"),
    )  # fmt: skip
    for operation, key, id_key, kind, type_ in listings:
        for item in paginate(ec2, operation, key):
            tags = tags_of(item.get("Tags"))
            uid = arn(region, item.get("OwnerId") or account, kind, item[id_key])
            yield record("vpc", type_, uid, tags.get("Name") or item[id_key], item, region=region, tags=tags)
