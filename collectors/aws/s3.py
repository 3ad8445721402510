"""S3: every bucket with its region, public access block, policy, ACL, encryption, versioning and logging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws.common import Secondary, detail_map, paginate, parse_policy, record
from collectors.aws.provider import AwsSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

NO_PUBLIC_ACCESS_BLOCK = ("NoSuchPublicAccessBlockConfiguration",)
LIST_PAGE_SIZE = 10000  # ListBuckets' largest page


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
    name = bucket["Name"]
    extra = Secondary()
    # ListBuckets names the bucket's region when asked with a page size; GetBucketLocation where it does not
    region = bucket.get("BucketRegion") or extra.call("Location", bucket_region, session.client("s3"), name) or ""
    s3 = session.client("s3", region or "us-east-1")
    config: dict[str, Any] = {"Name": name, "CreationDate": bucket.get("CreationDate"), "Region": region}
    block = extra.call("PublicAccessBlock", s3.get_public_access_block, Bucket=name, absent=NO_PUBLIC_ACCESS_BLOCK)
    config["PublicAccessBlockConfiguration"] = (block or {}).get("PublicAccessBlockConfiguration")
    policy = extra.call("Policy", s3.get_bucket_policy, Bucket=name, absent=("NoSuchBucketPolicy",))
    config["Policy"] = parse_policy((policy or {}).get("Policy"))
    status = None  # without a policy S3 answers NoSuchBucketPolicy here too: asked of a bucket with one (or unread)
    if policy is not None or "Policy" in extra.errors:
        status = extra.call("PolicyStatus", s3.get_bucket_policy_status, Bucket=name, absent=("NoSuchBucketPolicy",))
    config["PolicyStatus"] = (status or {}).get("PolicyStatus")
    acl = extra.call("Acl", s3.get_bucket_acl, Bucket=name) or {}
    config["Acl"] = {"Owner": acl.get("Owner"), "Grants": acl.get("Grants", [])} if acl else None
    encryption = extra.call(
        "Encryption",
        s3.get_bucket_encryption,
        Bucket=name,
        absent=("ServerSideEncryptionConfigurationNotFoundError",),
    )
    config["ServerSideEncryptionConfiguration"] = (encryption or {}).get("ServerSideEncryptionConfiguration")
    versioning = extra.call("Versioning", s3.get_bucket_versioning, Bucket=name)
    config["Versioning"] = (
        None if versioning is None else {k: versioning[k] for k in ("Status", "MFADelete") if k in versioning}
    )
    logging_ = extra.call("Logging", s3.get_bucket_logging, Bucket=name)
    config["LoggingEnabled"] = None if logging_ is None else logging_.get("LoggingEnabled")
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
    regions_by_listing(session, buckets)
    yield from detail_map(lambda b: bucket_record(session, b), buckets)
