"""AWS Config as bulk inventory: the current configuration item of every S3 bucket, 100 to a call.

Where a region's configuration recorder is recording and records ``AWS::S3::Bucket`` continuously,
ListDiscoveredResources (pages of 100) names the region's buckets and BatchGetResourceConfig (100 keys a call)
returns each one's configuration item. Its ``supplementaryConfiguration`` carries what S3's own API answers in
six calls a bucket (policy, ACL, Block Public Access, versioning, logging, default encryption; see
:mod:`collectors.aws.s3_items`). Config's advanced queries (SelectResourceConfig) cannot: AWS Config's resource
schema for ``AWS::S3::Bucket`` gives them no bucket policy and no ACL.

A region counts as recorded only when a recorder says ``recording`` with no failed last delivery, its recording
group covers the type (every supported type, an inclusion list naming it, or an exclusion list not naming it)
and the type is recorded continuously: a daily override would hand a scan a configuration up to a day old.
What Config does not answer for is read per bucket, as without it: a bucket created while the recorder was off
(not discovered), a key Config left unprocessed, a region not recorded, or Config failing or denied
(:mod:`collectors.bulk` logs why and the scan goes on). ``POSTURE_BULK_INVENTORY=off`` reads every bucket
through S3.

The recorder reads are the ``config`` collector's too, made once per scan through ``AwsSession.shared``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from collectors.bulk import BulkInventory, inventory_for

if TYPE_CHECKING:
    from collectors.aws.provider import AwsSession

S3_BUCKET = "AWS::S3::Bucket"
KINDS = (S3_BUCKET,)
BATCH = 100  # BatchGetResourceConfig's limit of keys a call
CURRENT = {"OK", "ResourceDiscovered"}  # configurationItemStatus of a resource that exists and is recorded


def recorders(session: AwsSession, region: str) -> list[dict[str, Any]]:
    """DescribeConfigurationRecorders' recorders for the region (read once per scan)."""
    client = session.client("config", region)
    answer = session.shared(("config", region, "recorders"), client.describe_configuration_recorders)
    return list(answer.get("ConfigurationRecorders") or [])


def recorder_statuses(session: AwsSession, region: str) -> list[dict[str, Any]]:
    """DescribeConfigurationRecorderStatus' statuses for the region (read once per scan)."""
    client = session.client("config", region)
    answer = session.shared(("config", region, "recorder_status"), client.describe_configuration_recorder_status)
    return list(answer.get("ConfigurationRecordersStatus") or [])


def covers(group: dict[str, Any], kind: str) -> bool:
    """Whether a recorder's recording group records ``kind``."""
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        return kind not in ((group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or [])
    if strategy == "INCLUSION_BY_RESOURCE_TYPES":
        return kind in (group.get("resourceTypes") or [])
    return group.get("allSupported") is True or kind in (group.get("resourceTypes") or [])


def frequency(mode: dict[str, Any], kind: str) -> str:
    """How often a recorder records ``kind``: its override for the type, else its default (CONTINUOUS)."""
    found = str(mode.get("recordingFrequency") or "CONTINUOUS")
    for override in mode.get("recordingModeOverrides") or []:
        if kind in (override.get("resourceTypes") or []):
            found = str(override.get("recordingFrequency") or found)
    return found


def records_continuously(session: AwsSession, region: str, kind: str) -> bool:
    """Whether a recorder of the region is recording ``kind`` now, as each change happens."""
    statuses = {s.get("name"): s for s in recorder_statuses(session, region)}
    for recorder in recorders(session, region):
        status = statuses.get(recorder.get("name")) or {}
        if status.get("recording") is not True or str(status.get("lastStatus", "")).upper() == "FAILURE":
            continue
        if covers(recorder.get("recordingGroup") or {}, kind) and (
            frequency(recorder.get("recordingMode") or {}, kind) == "CONTINUOUS"
        ):
            return True
    return False


def recorded(session: AwsSession, region: str, kind: str) -> Iterator[dict[str, Any]]:
    """The current configuration items of every discovered ``kind`` resource of the region."""
    client = session.client("config", region)
    pages = client.get_paginator("list_discovered_resources").paginate(resourceType=kind)
    ids = [r["resourceId"] for page in pages for r in page.get("resourceIdentifiers") or [] if r.get("resourceId")]
    for start in range(0, len(ids), BATCH):
        keys = [{"resourceType": kind, "resourceId": i} for i in ids[start : start + BATCH]]
        answer = client.batch_get_resource_config(resourceKeys=keys)  # unprocessed keys: read per resource
        for item in answer.get("baseConfigurationItems") or []:
            if item.get("configurationItemStatus") in CURRENT and item.get("awsRegion") in (None, region):
                yield item


def _query(session: AwsSession) -> Callable[[str], Iterator[tuple[str, str, dict[str, Any]]]]:
    def query(region: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for kind in KINDS:
            if records_continuously(session, region, kind):
                for item in recorded(session, region, kind):
                    yield region, kind, item

    return query


def config_inventory(session: AwsSession, classify: Callable[[BaseException], str]) -> BulkInventory | None:
    """The session's AWS Config inventory, one scope per region (None when POSTURE_BULK_INVENTORY=off)."""
    return inventory_for("aws", _query(session), KINDS, classify, scopes=lambda: list(session.regions))


def items(session: AwsSession, kind: str) -> dict[str, dict[str, Any]]:
    """The configuration items Config answers for, in every region of the scan (the regions read at once), by
    resource id; empty when bulk inventory is off or Config answers for none."""
    bulk = session.bulk
    if bulk is None or not session.regions:
        return {}
    found: dict[str, dict[str, Any]] = {}
    with ThreadPoolExecutor(max_workers=min(8, len(session.regions)), thread_name_prefix="aws-config") as pool:
        for answer in pool.map(lambda region: bulk.items(region, region, kind) or [], session.regions):
            for item in answer:
                found[str(item.get("resourceId") or item.get("resourceName"))] = item
    return found
