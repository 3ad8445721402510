"""RDS rules: storage encrypted, minor versions upgraded, instances not public, Multi-AZ deployments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import derived, each, hashable
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, observed

field_rule(
    id="aws.rds.storage_encrypted",
    title="RDS instance storage is encrypted at rest",
    severity="high",
    category="encryption",
    resource_type="aws.rds.db_instance",
    path="StorageEncrypted",
    expect=True,
    ok="storage is encrypted",
    bad="storage is not encrypted",
    rationale="Encryption at rest protects the database, its backups and snapshots.",
    remediation="Encryption cannot be turned on in place: snapshot, copy the snapshot with --kms-key-id, and "
    "restore from the encrypted copy.",
)


field_rule(
    id="aws.rds.auto_minor_version_upgrade",
    title="RDS instances have Auto Minor Version Upgrade enabled",
    severity="low",
    category="workload",
    resource_type="aws.rds.db_instance",
    path="AutoMinorVersionUpgrade",
    expect=True,
    ok="auto minor version upgrade is on",
    bad="auto minor version upgrade is off",
    rationale="Minor versions carry security fixes; upgrading automatically keeps instances patched.",
    remediation="aws rds modify-db-instance --db-instance-identifier ID --auto-minor-version-upgrade "
    "--apply-immediately",
)


field_rule(
    id="aws.rds.not_publicly_accessible",
    title="RDS instances are not publicly accessible",
    severity="critical",
    category="exposure",
    resource_type="aws.rds.db_instance",
    path="PubliclyAccessible",
    expect=lambda value: value is not True,
    ok="the instance is not publicly accessible",
    bad="the instance is publicly accessible",
    rationale="A publicly accessible instance gets a public DNS name and address reachable from the internet.",
    remediation="aws rds modify-db-instance --db-instance-identifier ID --no-publicly-accessible --apply-immediately",
)


def cluster_zones(resource: ResourceRecord, ctx: Any) -> list[str]:
    """The Availability Zones of the instances of the resource's Aurora (or Multi-AZ DB) cluster."""
    cluster = resource.config.get("DBClusterIdentifier")
    if not hashable(cluster):  # junk for an identifier: compared with every instance's
        members = [r for r in ctx.resources("aws.rds.db_instance") if r.config.get("DBClusterIdentifier") == cluster]
        return sorted(_zones(members))
    # zone names, and only the few instances with junk identifiers: kept while the context lives (no ``holds``)
    by_cluster, odd = derived(ctx, "aws.rds.zones_by_cluster", lambda: _zones_by_cluster(ctx))
    return sorted(
        by_cluster.get(cluster, set()) | _zones(r for r in odd if r.config.get("DBClusterIdentifier") == cluster)
    )


def _zones(members: Iterable[ResourceRecord]) -> set[str]:
    return {str(r.config.get("AvailabilityZone")) for r in members if r.config.get("AvailabilityZone")}


def _zones_by_cluster(ctx: Any) -> tuple[dict[Any, set[str]], list[ResourceRecord]]:
    """The zones of each cluster's instances, once per context; apart, the instances whose identifier is junk."""
    zones: dict[Any, set[str]] = defaultdict(set)
    odd = []
    for r in each(ctx, "aws.rds.db_instance"):
        cluster = r.config.get("DBClusterIdentifier")
        if hashable(cluster):
            zones[cluster] |= _zones([r])
        else:
            odd.append(r)
    return dict(zones), odd


@rule(
    id="aws.rds.multi_az",
    title="RDS databases are deployed across Availability Zones (Multi-AZ)",
    severity="low",
    category="workload",
    resource_type="aws.rds.db_instance",
    rationale="A Multi-AZ deployment keeps a standby (or a cluster replica) in another zone and fails over to it, "
    "so one zone's outage or a host failure does not take the database down.",
    remediation="aws rds modify-db-instance --db-instance-identifier ID --multi-az --apply-immediately; for an "
    "Aurora cluster, add a reader instance in another Availability Zone.",
)
def multi_az(resource: ResourceRecord, ctx: Any) -> Verdict:
    if resource.config.get("MultiAZ") is True or not resource.config.get("DBClusterIdentifier"):
        return check(
            resource.config.get("MultiAZ") is True,
            "the instance is a Multi-AZ deployment",
            "the instance runs in a single Availability Zone",
            observed(resource.config, "MultiAZ"),
        )
    zones = cluster_zones(resource, ctx)  # an Aurora instance says MultiAZ false: its cluster spans the zones
    return check(
        len(zones) > 1,
        f"the instance's cluster has instances in {len(zones)} Availability Zones",
        "the instance's cluster has instances in one Availability Zone only",
        observed(resource.config, "DBClusterIdentifier"),
        ("cluster Availability Zones", zones),
    )
