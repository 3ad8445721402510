"""S3: every bucket with its region, public access block, policy, ACL, encryption, versioning and logging.

Where AWS Config records the account's buckets continuously, their settings come from Config's items, 100 a call
(:mod:`collectors.aws.config_inventory`); every other bucket is read through S3's own API, a call a setting.
Both give the same record (:mod:`collectors.aws.s3_items`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from collectors.aws import config_inventory, s3_items
from collectors.aws.common import Secondary, detail_map, paginate, parse_policy, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

log = logging.getLogger(__name__)
NO_PUBLIC_ACCESS_BLOCK = ("NoSuchPublicAccessBlockConfiguration",)
LIST_PAGE_SIZE = 10000  # ListBuckets' largest page
# buckets read at once: S3 rates each bucket's requests on their own, with no account-wide quota as IAM's, and a
# bucket-heavy account's S3 unit (six reads a bucket without AWS Config) is its scan's longest
BUCKET_WORKERS = 16


def bucket_region(s3: Any, name: str) -> str:
    constraint = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
    if constraint in (None, ""):
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def regions_by_listing(session: AwsSession, buckets: list[dict[str, Any]]) -> None:
    """Name the region of buckets the listing left without one, a ListBuckets per region (``BucketRegion``
    filter) instead of a GetBucketLocation per bucket, where that is fewer calls.

    AWS names each bucket's region in a paged listing, so this runs only against endpoints that do not (S3
    emulators and compatibles). The filter is trusted only when at least two regions are listed and no bucket
    appears in two of them: an endpoint that ignores it returns every bucket for every region. A region whose
    listing fails, and a bucket no listing placed, are left to GetBucketLocation.
    """
    unknown = {b["Name"]: b for b in buckets if not b.get("BucketRegion")}
    regions = session.regions
    if len(regions) < 2 or len(unknown) <= len(regions):
        return
    found: dict[str, str] = {}
    for region in regions:
        try:
            listed = paginate(
                session.client("s3", region),
                "list_buckets",
                "Buckets",
                BucketRegion=region,
                PaginationConfig={"PageSize": LIST_PAGE_SIZE},
            )
            names = [b["Name"] for b in listed]
        except Exception:  # an opt-in region not enabled, a denied call: its buckets are read one by one
            continue
        if any(name in found for name in names):
            return  # the endpoint ignores the filter
        found.update((name, region) for name in names)
    for name, region in found.items():
        if name in unknown:
            unknown[name]["BucketRegion"] = region


def bucket_record(session: AwsSession, bucket: dict[str, Any]) -> ResourceRecord:
    """One bucket read through S3's own API: a call for each setting."""
    name = bucket["Name"]
    extra = Secondary()
    # ListBuckets names the bucket's region when asked with a page size; GetBucketLocation where it does not
    region = bucket.get("BucketRegion") or extra.call("Location", bucket_region, session.client("s3"), name) or ""
    s3 = session.client("s3", region or "us-east-1")
    block = extra.call("PublicAccessBlock", s3.get_public_access_block, Bucket=name, absent=NO_PUBLIC_ACCESS_BLOCK)
    policy = extra.call("Policy", s3.get_bucket_policy, Bucket=name, absent=("NoSuchBucketPolicy",))
    encryption = extra.call(
        "Encryption",
        s3.get_bucket_encryption,
        Bucket=name,
        absent=("ServerSideEncryptionConfigurationNotFoundError",),
    )
    versioning = extra.call("Versioning", s3.get_bucket_versioning, Bucket=name)
    logging_ = extra.call("Logging", s3.get_bucket_logging, Bucket=name)
    settings = {
        "PublicAccessBlockConfiguration": (block or {}).get("PublicAccessBlockConfiguration"),
        "PolicyText": (policy or {}).get("Policy"),
        "Acl": s3_items.acl(extra.call("Acl", s3.get_bucket_acl, Bucket=name)),
        "ServerSideEncryptionConfiguration": s3_items.encryption(
            (encryption or {}).get("ServerSideEncryptionConfiguration")
        ),
        "Versioning": None if versioning is None else s3_items.versioning(versioning),
        "LoggingEnabled": None if logging_ is None else s3_items.logging_target(logging_.get("LoggingEnabled")),
    }
    # without a policy S3 answers NoSuchBucketPolicy to GetBucketPolicyStatus too: asked of a bucket with one
    policy_unread = "Policy" in extra.errors
    return finished(session, bucket, region, settings, extra, ask_status=policy is not None or policy_unread)


def recorded_record(
    session: AwsSession, bucket: dict[str, Any], region: str, settings: dict[str, Any]
) -> ResourceRecord:
    """One bucket from its AWS Config item: only the policy's public status is asked of S3 (Config has none)."""
    ask = settings["PolicyText"] is not None
    return finished(session, bucket, region, settings, Secondary(), ask_status=ask)


def finished(
    session: AwsSession,
    bucket: dict[str, Any],
    region: str,
    settings: dict[str, Any],
    extra: Secondary,
    ask_status: bool,
) -> ResourceRecord:
    """The bucket's record, the same whichever source gave ``settings``; GetBucketPolicyStatus when asked."""
    name = bucket["Name"]
    status = None
    if ask_status:
        s3 = session.client("s3", region or "us-east-1")
        status = extra.call("PolicyStatus", s3.get_bucket_policy_status, Bucket=name, absent=("NoSuchBucketPolicy",))
    config: dict[str, Any] = {
        "Name": name,
        "CreationDate": bucket.get("CreationDate"),
        "Region": region,
        "PublicAccessBlockConfiguration": settings["PublicAccessBlockConfiguration"],
        "Policy": parse_policy(settings["PolicyText"]),
        "PolicyStatus": (status or {}).get("PolicyStatus"),
        "Acl": settings["Acl"],
        "ServerSideEncryptionConfiguration": settings["ServerSideEncryptionConfiguration"],
        "Versioning": settings["Versioning"],
        "LoggingEnabled": settings["LoggingEnabled"],
    }
    return record("s3", "s3.bucket", f"arn:aws:s3:::{name}", name, extra.attach(config), region=region or "global")


@REGISTRY.collector(
    "aws",
    "s3",
    regional=False,
    permissions=(
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetAccountPublicAccessBlock",
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:ListDiscoveredResources",
        "config:BatchGetResourceConfig",
    ),
)
def collect_s3(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    account = session.account_id()
    extra = Secondary()
    block = extra.call(
        "PublicAccessBlock",
        session.client("s3control").get_public_access_block,
        AccountId=account,
        absent=NO_PUBLIC_ACCESS_BLOCK,
    )
    config = {
        "AccountId": account,
        "PublicAccessBlockConfiguration": (block or {}).get("PublicAccessBlockConfiguration"),
    }
    yield record("s3", "s3.account", f"arn:aws:s3::{account}:account-settings", account, extra.attach(config))
    # a page size (MaxBuckets) makes S3 name each bucket's region (BucketRegion): no GetBucketLocation per bucket
    buckets = list(
        paginate(session.client("s3"), "list_buckets", "Buckets", PaginationConfig={"PageSize": LIST_PAGE_SIZE})
    )
    recorded = from_config(config_inventory.items(session, config_inventory.S3_BUCKET))  # where Config records
    regions_by_listing(session, [b for b in buckets if b["Name"] not in recorded])
    yield from detail_map(
        lambda b: (
            recorded_record(session, b, *recorded[b["Name"]]) if b["Name"] in recorded else bucket_record(session, b)
        ),
        buckets,
        workers=BUCKET_WORKERS,
    )


def from_config(items: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each bucket's region and settings from its Config item; a bucket whose item cannot be read is left out
    (read through S3 instead)."""
    found = {}
    for name, item in items.items():
        try:
            found[name] = (str(item.get("awsRegion") or ""), s3_items.from_config_item(item))
        except Exception as exc:  # a shape this reading does not know: S3's own answers instead
            log.debug("aws: the Config item of bucket %r could not be read (%s)", name, type(exc).__name__)
    return found
