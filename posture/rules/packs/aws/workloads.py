"""What counts as a workload in an AWS account, and the VPC it runs in (no rules here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import derived, hashable
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
    every = derived(ctx, "aws.workloads", lambda: list(_workloads(ctx)), holds=WORKLOAD_TYPES)
    if region is None:
        yield from every
        return
    by_region = derived(ctx, "aws.workloads_by_region", lambda: _by_region(every), holds=WORKLOAD_TYPES)
    if hashable(region):
        yield from by_region.get(region, ())
    else:
        yield from ((record, vpc) for record, vpc in every if record.region == region)


def _workloads(ctx: Any) -> Iterator[tuple[ResourceRecord, str | None]]:
    for type_, path in WORKLOAD_TYPES.items():
        for record in ctx.resources(type_):
            if running(record):
                yield record, (lookup(record.config, path) if path else None)


def _by_region(every: list[tuple[ResourceRecord, str | None]]) -> dict[Any, list[tuple[ResourceRecord, str | None]]]:
    """Region -> its workloads, in the order of ``every``; a region that is no key is left out (compared instead)."""
    found: dict[Any, list[tuple[ResourceRecord, str | None]]] = defaultdict(list)
    for record, vpc in every:
        if hashable(record.region):
            found[record.region].append((record, vpc))
    return dict(found)
