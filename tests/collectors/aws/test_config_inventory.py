"""S3 buckets from AWS Config's items where Config records them: the same records as S3's own reads, far fewer
calls, and S3's reads wherever Config cannot answer (moto in-process, with emulators.aws.config_items)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest

from collectors.aws import config_inventory
from emulators.aws.estate_config import build_config_recording
from tests.collectors.aws.test_call_counts import scan

REGIONS = ("us-east-1", "eu-west-1")
S3_PER_BUCKET = {
    "s3 GetPublicAccessBlock",
    "s3 GetBucketPolicy",
    "s3 GetBucketAcl",
    "s3 GetBucketEncryption",
    "s3 GetBucketVersioning",
    "s3 GetBucketLogging",
    "s3 GetBucketLocation",
}
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*/*"}],
}


def recorder(region: str, recording: bool = True) -> None:
    """A configuration recorder of every type in ``region``, recording (``recording=False``: put, not started)."""
    build_config_recording(lambda service: boto3.client(service, region_name=region), "config-bucket", start=recording)


def varied_buckets() -> list[str]:
    """Buckets in both regions with every setting the record keeps, set or left alone."""
    names = []
    for region in REGIONS:
        s3 = boto3.client("s3", region_name=region)
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        for kind in ("plain", "public", "locked", "logged"):
            name = f"{kind}-{region}"
            s3.create_bucket(Bucket=name, **where)
            names.append(name)
        s3.put_bucket_acl(Bucket=f"public-{region}", ACL="public-read")
        s3.put_bucket_policy(Bucket=f"public-{region}", Policy=json.dumps(PUBLIC_READ))
        s3.put_public_access_block(
            Bucket=f"locked-{region}",
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": False,
            },
        )
        s3.put_bucket_versioning(Bucket=f"locked-{region}", VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=f"locked-{region}",
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/k"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        # a grant a permission (moto's GetBucketAcl answers a canned ACL's two-permission grant with one of them)
        log_delivery = 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"'
        s3.put_bucket_acl(Bucket=f"logged-{region}", GrantWrite=log_delivery, GrantReadACP=log_delivery)
        s3.put_bucket_logging(
            Bucket=f"logged-{region}",
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": f"logged-{region}", "TargetPrefix": "logs/"}},
        )
    return names


def buckets(records: list[Any]) -> dict[str, dict[str, Any]]:
    return {r.name: r.config for r in records if r.type == "aws.s3.bucket"}


def per_bucket(calls: Counter[str]) -> int:
    return sum(n for op, n in calls.items() if op in S3_PER_BUCKET)


@pytest.fixture
def recorded_estate(mocked: None) -> list[str]:
    """The varied buckets, with Config recording both regions; their names."""
    names = varied_buckets()
    for region in REGIONS:
        recorder(region)
    return names


def through_s3(monkeypatch: pytest.MonkeyPatch, regions: tuple[str, ...] = REGIONS) -> tuple[Counter[str], list[Any]]:
    """A scan with bulk inventory off (every bucket read through S3); bulk inventory is on again after it."""
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "off")
    found = scan(("s3",), regions)
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "auto")
    return found


def test_recorded_buckets_come_from_config_and_read_the_same_as_through_s3(
    recorded_estate: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = recorded_estate
    s3_calls, read_through_s3 = through_s3(monkeypatch)
    calls, from_config = scan(("s3",), REGIONS)

    assert per_bucket(s3_calls) >= 6 * len(names)
    assert per_bucket(calls) == 0, calls
    assert calls["s3 GetBucketPolicyStatus"] == len(REGIONS)  # the buckets with a policy: Config has no status
    assert calls["config BatchGetResourceConfig"] == len(REGIONS)
    assert buckets(from_config) == buckets(read_through_s3)
    public = buckets(from_config)["public-eu-west-1"]
    assert public["Region"] == "eu-west-1" and public["PolicyStatus"] == {"IsPublic": True}
    everyone = {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"}
    assert {"Grantee": everyone, "Permission": "READ"} in public["Acl"]["Grants"]
    locked = buckets(from_config)["locked-us-east-1"]
    assert locked["Versioning"] == {"Status": "Enabled"}
    assert locked["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is False
    assert locked["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": "alias/k",
    }
    assert buckets(from_config)["logged-eu-west-1"]["LoggingEnabled"] == {
        "TargetBucket": "logged-eu-west-1",
        "TargetPrefix": "logs/",
    }


def test_a_region_config_does_not_record_is_read_through_s3(mocked: None) -> None:
    names = varied_buckets()
    recorder("us-east-1")
    recorder("eu-west-1", recording=False)
    calls, records = scan(("s3",), REGIONS)
    assert set(buckets(records)) == set(names)
    read_per_bucket = {op.split()[1] for op, n in calls.items() if op in S3_PER_BUCKET}
    assert calls["s3 GetBucketAcl"] == len(names) // 2, read_per_bucket  # the eu-west-1 buckets only
    assert {r.config["Region"] for r in records if r.type == "aws.s3.bucket"} == set(REGIONS)


def test_a_bucket_config_has_not_discovered_is_read_through_s3(
    recorded_estate: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    names = recorded_estate
    undiscovered = "plain-us-east-1"
    listed = config_inventory.recorded

    def without(session: Any, region: str, kind: str) -> Any:
        return (item for item in listed(session, region, kind) if item["resourceId"] != undiscovered)

    monkeypatch.setattr(config_inventory, "recorded", without)
    calls, records = scan(("s3",), REGIONS)
    assert set(buckets(records)) == set(names)
    assert calls["s3 GetBucketAcl"] == 1


def test_config_failing_loses_nothing(recorded_estate: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, read_through_s3 = through_s3(monkeypatch)
    denied = ("before-call.config.BatchGetResourceConfig", deny)
    calls, records = scan(("s3",), REGIONS, hooks=(denied,))
    assert buckets(records) == buckets(read_through_s3)
    assert calls["s3 GetBucketAcl"] == len(recorded_estate)


def deny(**_: Any) -> None:
    from botocore.exceptions import ClientError

    raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "BatchGetResourceConfig")


@pytest.mark.parametrize(
    ("group", "mode", "recorded"),
    [
        ({"allSupported": True}, {}, True),
        ({"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]}, {}, True),
        ({"allSupported": False, "resourceTypes": ["AWS::EC2::Instance"]}, {}, False),
        (
            {
                "allSupported": False,
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::S3::Bucket"]},
            },
            {},
            False,
        ),
        (
            {
                "allSupported": False,
                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
                "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::Instance"]},
            },
            {},
            True,
        ),
        ({"allSupported": True}, {"recordingFrequency": "DAILY"}, False),
        (
            {"allSupported": True},
            {
                "recordingFrequency": "CONTINUOUS",
                "recordingModeOverrides": [{"resourceTypes": ["AWS::S3::Bucket"], "recordingFrequency": "DAILY"}],
            },
            False,
        ),
        (
            {"allSupported": True},
            {
                "recordingFrequency": "DAILY",
                "recordingModeOverrides": [{"resourceTypes": ["AWS::S3::Bucket"], "recordingFrequency": "CONTINUOUS"}],
            },
            True,
        ),
    ],
)
def test_only_a_recorder_recording_buckets_as_they_change_counts(
    group: dict[str, Any], mode: dict[str, Any], recorded: bool
) -> None:
    assert (
        config_inventory.covers(group, "AWS::S3::Bucket")
        and config_inventory.frequency(mode, "AWS::S3::Bucket") == "CONTINUOUS"
    ) is recorded


def test_the_demo_staging_account_reads_its_buckets_from_config_alike(
    mocked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulators.aws.estate import build_estate
    from tests.collectors.aws.conftest import local_client

    build_estate(local_client, prefix="staging")
    build_config_recording(local_client, "staging-trail-logs")
    s3_calls, read_through_s3 = through_s3(monkeypatch, ("us-east-1",))
    calls, from_config = scan(("s3",), ("us-east-1",))
    assert len(buckets(from_config)) >= 3
    assert buckets(from_config) == buckets(read_through_s3)
    assert per_bucket(s3_calls) >= 6 * len(buckets(read_through_s3)) and per_bucket(calls) == 0


@pytest.mark.parametrize(
    "damage",
    [
        lambda extra: extra.pop("AccessControlList"),  # a part every bucket's item has, missing
        lambda extra: extra.update(BucketVersioningConfiguration='"Off"'),  # a part of a shape not known here
        lambda extra: extra.update(AccessControlList='{"grantList": [{"grantee": 7, "permission": "Read"}]}'),
    ],
)
def test_an_item_that_cannot_be_read_leaves_its_bucket_to_s3(
    recorded_estate: list[str], monkeypatch: pytest.MonkeyPatch, damage: Any
) -> None:
    _, read_through_s3 = through_s3(monkeypatch)
    listed = config_inventory.recorded

    def damaged(session: Any, region: str, kind: str) -> Any:
        for item in listed(session, region, kind):
            if item["resourceId"] == "public-us-east-1":
                damage(item["supplementaryConfiguration"])
            yield item

    monkeypatch.setattr(config_inventory, "recorded", damaged)
    calls, records = scan(("s3",), REGIONS)
    assert buckets(records) == buckets(read_through_s3)
    assert calls["s3 GetBucketAcl"] == 1 and set(buckets(records)) == set(recorded_estate)
