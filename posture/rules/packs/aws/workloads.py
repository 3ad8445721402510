"""What counts as a workload in an AWS account, and the VPC it runs in (no rules here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.verdicts import lookup

# resource type -> the path of its VPC id in the record ("" where the record names no VPC)
WORKLOAD_TYPES = {
    "aws.ec2.instance": "VpcId",
    "aws.eks.cluster": "resourcesVpcConfig.vpcId",
    "aws.rds.db_instance": "DBSubnetGroup.VpcId",
    "aws.elbv2.load_balancer": "VpcId",
    "aws.efs.file_system": "",
}
GONE_STATES = {"terminated", "shutting-down"}


def running(record: ResourceRecord) -> bool:
    return record.type != "aws.ec2.instance" or lookup(record.config, "State.Name") not in GONE_STATES


def workloads(ctx: Any, region: str | None = None) -> Iterator[tuple[ResourceRecord, str | None]]:
    """The account's workloads (in ``region`` when given) with the id of the VPC each runs in, if known."""
    for type_, path in WORKLOAD_TYPES.items():
        for record in ctx.resources(type_):
            if running(record) and (region is None or record.region == region):
                yield record, (lookup(record.config, path) if path else None)
