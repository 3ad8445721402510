"""Databases and file systems per region: RDS DB instances and EFS file systems."""

from __future__ import annotations

from collections.abc import Iterator

from collectors.aws.common import paginate, record, tags_of
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY


@REGISTRY.collector("aws", "rds", permissions=("rds:DescribeDBInstances",))
def collect_rds(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    rds = session.client("rds", region)
    for db in paginate(rds, "describe_db_instances", "DBInstances"):
        yield record(
            "rds",
            "rds.db_instance",
            db["DBInstanceArn"],
            db["DBInstanceIdentifier"],
            db,
            region=region,
            tags=tags_of(db.get("TagList")),
        )


@REGISTRY.collector("aws", "efs", permissions=("elasticfilesystem:DescribeFileSystems",))
def collect_efs(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    efs = session.client("efs", region)
    for fs in paginate(efs, "describe_file_systems", "FileSystems"):
        arn = (
            fs.get("FileSystemArn")
            or f"arn:aws:elasticfilesystem:{region}:{fs.get('OwnerId')}:file-system/{fs['FileSystemId']}"
        )
        yield record(
            "efs",
            "efs.file_system",
            arn,
            fs.get("Name") or fs["FileSystemId"],
            fs,
            region=region,
            tags=tags_of(fs.get("Tags")),
        )
