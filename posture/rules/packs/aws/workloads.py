"""What counts as a workload in an AWS account, and the VPC it runs in (no rules here)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any, NamedTuple

from collectors.records import ResourceRecord
from posture.rules.context import derived, each, hashable
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


class Workload(NamedTuple):
    """A running workload as the rules about where workloads run need it: no more of its record."""

    uid: str
    region: str
    vpc: str | None  # the id of the VPC it runs in, if its record names one


def workloads(ctx: Any, region: str | None = None) -> Iterator[Workload]:
    """The account's running workloads (in ``region`` when given), in the context's order.

    The lookup keeps a uid, region and VPC per workload, not the records: a spread scan's context streams the
    workload types through it instead of holding them (``posture.rules.context.each``)."""
    every = derived(ctx, "aws.workloads", lambda: list(_workloads(ctx)))
    if region is None:
        yield from every
        return
    by_region = derived(ctx, "aws.workloads_by_region", lambda: _by_region(every))
    if hashable(region):
        yield from by_region.get(region, ())
    else:
        yield from (w for w in every if w.region == region)


def _workloads(ctx: Any) -> Iterator[Workload]:
    for type_, path in WORKLOAD_TYPES.items():
        for record in each(ctx, type_):
            if running(record):
                vpc = lookup(record.config, path) if path else None
                yield Workload(record.uid, record.region, vpc)


def _by_region(every: list[Workload]) -> dict[Any, list[Workload]]:
    """Region -> its workloads, in the order of ``every``; a region that is no key is left out (compared instead)."""
    found: dict[Any, list[Workload]] = defaultdict(list)
    for workload in every:
        if hashable(workload.region):
            found[workload.region].append(workload)
    return dict(found)
