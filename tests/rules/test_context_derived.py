"""Lookups built once per rule context (posture.rules.context.derived), as context rules over a large account need."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext, derived, forget
from posture.rules.packs.aws.rds import cluster_zones
from posture.rules.packs.aws.workloads import WORKLOAD_TYPES, workloads


def instance(uid: str, region: str, vpc: str, state: str = "running") -> ResourceRecord:
    config = {"VpcId": vpc, "State": {"Name": state}}
    return ResourceRecord("aws", "ec2", "aws.ec2.instance", uid, uid, region, {}, config)


def test_a_lookup_is_built_once_per_context_and_not_kept_when_it_fails() -> None:
    ctx, other = RuleContext(()), RuleContext(())
    built: list[int] = []
    assert derived(ctx, "k", lambda: built.append(1) or len(built)) == 1
    assert derived(ctx, "k", lambda: built.append(1) or len(built)) == 1
    assert derived(other, "k", lambda: built.append(1) or len(built)) == 2, "another context builds its own"

    def broken() -> int:
        raise KeyError("x")

    with pytest.raises(KeyError):
        derived(ctx, "broken", broken)
    assert derived(ctx, "broken", lambda: 7) == 7
    assert [derived((), "k", lambda n=n: n) for n in range(2)] == [0, 1], "no weak reference: built every time"


def test_a_lookup_goes_when_the_context_lets_go_of_a_type_it_keeps() -> None:
    ctx = RuleContext(())
    derived(ctx, "keeps", lambda: "old", holds=["aws.ec2.instance"])
    derived(ctx, "text only", lambda: "old")
    forget(ctx, "aws.s3.bucket")
    assert derived(ctx, "keeps", lambda: "new", holds=["aws.ec2.instance"]) == "old", "another type: kept"
    forget(ctx, "aws.ec2.instance")
    assert derived(ctx, "keeps", lambda: "new", holds=["aws.ec2.instance"]) == "new"
    assert derived(ctx, "text only", lambda: "new") == "old"


def test_workloads_by_region_keep_the_order_and_leave_out_what_is_gone() -> None:
    records = [
        instance("i-1", "eu-west-1", "vpc-a"),
        instance("i-2", "us-east-1", "vpc-b"),
        instance("i-3", "eu-west-1", "vpc-c", state="terminated"),
        instance("i-4", "eu-west-1", "vpc-d"),
    ]
    ctx = RuleContext(records)
    assert [(w.uid, w.vpc) for w in workloads(ctx, "eu-west-1")] == [("i-1", "vpc-a"), ("i-4", "vpc-d")]
    assert [w.uid for w in workloads(ctx)] == ["i-1", "i-2", "i-4"]
    assert list(workloads(ctx, "ap-south-1")) == []
    assert [w.uid for w in workloads(RuleContext(records), "us-east-1")] == ["i-2"]


def db(uid: str, cluster: Any, zone: str) -> ResourceRecord:
    config = {"MultiAZ": False, "DBClusterIdentifier": cluster, "AvailabilityZone": zone}
    return ResourceRecord("aws", "rds", "aws.rds.db_instance", uid, uid, "us-east-1", {}, config)


def test_cluster_zones_compare_a_junk_identifier_as_it_is() -> None:
    records = [
        db("a", "ledger", "us-east-1a"),
        db("b", ["ledger"], "us-east-1b"),
        db("c", {"id": "ledger"}, "us-east-1c"),
        db("d", "ledger", "us-east-1d"),
        db("e", ["ledger"], "us-east-1e"),
    ]
    ctx = RuleContext(records)
    assert cluster_zones(records[0], ctx) == ["us-east-1a", "us-east-1d"]
    assert cluster_zones(records[1], ctx) == ["us-east-1b", "us-east-1e"]
    assert cluster_zones(records[2], ctx) == ["us-east-1c"]
    assert cluster_zones(db("x", "other", "us-east-1f"), ctx) == []


def test_a_context_that_streams_passes_the_workload_types_through_without_holding_them() -> None:
    """A spread scan's context (``stream``) is read a record at a time for the workloads lookup, which keeps a uid,
    region and VPC each: the workload types are never loaded whole for it."""

    class Streaming(RuleContext):
        def __init__(self, records: list[ResourceRecord]) -> None:
            super().__init__(records)
            self.loaded: list[str] = []
            self.streamed: list[str] = []

        def resources(self, type_: str) -> list[ResourceRecord]:
            self.loaded.append(type_)
            return super().resources(type_)

        def stream(self, type_: str) -> Iterator[ResourceRecord]:
            self.streamed.append(type_)
            return iter(super().resources(type_))

    records = [instance("i-1", "eu-west-1", "vpc-a"), instance("i-2", "us-east-1", "vpc-b")]
    ctx = Streaming(records)
    assert [tuple(w) for w in workloads(ctx, "eu-west-1")] == [("i-1", "eu-west-1", "vpc-a")]
    assert ctx.loaded == [] and set(ctx.streamed) == set(WORKLOAD_TYPES)
