"""How many calls the collectors make against moto through the real SDK: what a fresh credential report
answers is not read per user, a bucket without a policy gets no policy status call, and what two collectors
both need (ECR repositories and images, EKS clusters) is read once per scan."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from moto import mock_aws

import collectors.aws  # noqa: F401  (registers the collectors)
from collectors.aws import PROVIDER
from collectors.aws.iam import CredentialReport, is_fresh, none_in_report
from collectors.records import Target
from collectors.run import collect, plan
from emulators.aws.estate import MANIFEST, REGION
from tests.collectors.aws.conftest import local_client

PER_USER = ("GetLoginProfile", "ListMFADevices", "ListAccessKeys", "GetAccessKeyLastUsed")


def scan(
    services: tuple[str, ...], regions: tuple[str, ...] = (REGION,), hooks: tuple[tuple[str, Any], ...] = ()
) -> tuple[Counter[str], list[Any]]:
    """The calls (``service Operation`` -> count) and records of one scan of ``services`` in ``regions``
    (``hooks``: botocore event handlers every client of the scan gets)."""
    target = Target(provider="aws", name="t", regions=regions)
    session = PROVIDER.connect(target)
    for event, handler in hooks:
        session.session.events.register(event, handler)
    calls: Counter[str] = Counter()
    session.session.events.register(
        "before-call", lambda model, **_: calls.update([f"{model.service_model.service_name} {model.name}"])
    )
    result = collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target) if u.service in services])
    assert not result.errors, result.errors
    return calls, result.records


def add_users(plain: int, with_password: int = 0, with_key: int = 0, with_mfa: int = 0) -> None:
    iam = local_client("iam")
    for n in range(plain):
        iam.create_user(UserName=f"plain-{n}")
    for n in range(with_password):
        iam.create_user(UserName=f"console-{n}")
        iam.create_login_profile(UserName=f"console-{n}", Password="Correct-Horse-9!")
    for n in range(with_key):
        iam.create_user(UserName=f"robot-{n}")
        iam.create_access_key(UserName=f"robot-{n}")
    for n in range(with_mfa):
        iam.create_user(UserName=f"careful-{n}")
        iam.create_login_profile(UserName=f"careful-{n}", Password="Correct-Horse-9!")
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"careful-{n}")["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=f"careful-{n}", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )


def per_user_calls(calls: Counter[str]) -> dict[str, int]:
    return {op: calls[f"iam {op}"] for op in PER_USER if calls[f"iam {op}"]}


def test_users_without_credentials_cost_no_call_of_their_own(aws_env: None) -> None:
    found = {}
    for plain in (3, 40):
        with mock_aws():  # an account of its own each: its first report is generated for the scan
            add_users(plain=plain)
            found[plain] = scan(("iam",))
    (few, _), (many, records) = found[3], found[40]
    assert sum(1 for r in records if r.type == "aws.iam.user") == 40
    assert per_user_calls(few) == per_user_calls(many) == {}
    assert sum(many.values()) == sum(few.values())


def test_only_what_a_user_has_is_read_per_user(mocked: None) -> None:
    add_users(plain=10, with_password=3, with_key=2, with_mfa=1)
    calls, records = scan(("iam",))
    # a password: its login profile (console-*, careful-*); a key: the keys and their last use; MFA: the devices
    assert per_user_calls(calls) == {
        "GetLoginProfile": 4,
        "ListAccessKeys": 2,
        "GetAccessKeyLastUsed": 2,
        "ListMFADevices": 1,
    }
    users = {r.name: r.config for r in records if r.type == "aws.iam.user"}
    assert users["plain-0"]["LoginProfile"] is None and users["plain-0"]["AccessKeys"] == []
    assert users["console-0"]["LoginProfile"]["UserName"] == "console-0"
    assert users["robot-0"]["AccessKeys"][0]["Status"] == "Active"
    assert users["careful-0"]["MFADevices"][0]["UserName"] == "careful-0"


def test_a_stale_report_means_every_user_is_read_and_the_records_are_the_same(mocked: None) -> None:
    add_users(plain=4, with_password=2, with_key=2, with_mfa=1)
    fresh_calls, fresh = scan(("iam",))
    # moto answers COMPLETE at once the second time, with a GeneratedTime of 2015: a report of hours ago
    stale_calls, stale = scan(("iam",))
    assert per_user_calls(stale_calls)["GetLoginProfile"] == 9 > per_user_calls(fresh_calls)["GetLoginProfile"]

    def users(records: list[Any]) -> dict[str, Any]:
        return {r.uid: json.dumps(r.config, sort_keys=True) for r in records if r.type == "aws.iam.user"}

    assert users(fresh) == users(stale)


@pytest.mark.parametrize(
    ("started", "generated", "date", "fresh"),
    [
        (True, None, None, True),  # IAM generated it when asked
        (False, "2026-01-01T10:00:00+00:00", "Thu, 01 Jan 2026 10:04:00 GMT", True),
        (False, "2026-01-01T10:00:00+00:00", "Thu, 01 Jan 2026 10:05:01 GMT", False),  # just past the limit
        (False, "2026-01-01T07:00:00+00:00", "Thu, 01 Jan 2026 10:00:00 GMT", False),  # IAM's 4-hour reuse
        (False, "2026-01-01T10:00:00+00:00", None, False),  # no server time to compare with
        (False, None, "Thu, 01 Jan 2026 10:00:00 GMT", False),
        # an HTTP date is UTC: one with "-0000" or repeated (joined by a proxy that adds its own) parses without a zone
        (False, "2026-01-01T10:00:00+00:00", "Thu, 01 Jan 2026 10:04:00 -0000", True),
        (False, "2026-01-01T10:00:00+00:00", "Thu, 01 Jan 2026 10:04:00 GMT, Thu, 01 Jan 2026 10:04:00 GMT", True),
        (False, "2026-01-01T07:00:00+00:00", "Thu, 01 Jan 2026 10:00:00 GMT, Thu, 01 Jan 2026 10:00:00 GMT", False),
        (False, "2026-01-01T10:00:00+00:00", "not a date", False),
    ],
)
def test_a_report_is_fresh_only_when_generated_for_this_scan(
    started: bool, generated: str | None, date: str | None, fresh: bool
) -> None:
    import datetime as dt

    answer: dict[str, Any] = {"ResponseMetadata": {"HTTPHeaders": {"date": date} if date else {}}}
    if generated:
        answer["GeneratedTime"] = dt.datetime.fromisoformat(generated)
    assert is_fresh(started, answer) is fresh


def test_a_report_row_says_none_only_of_what_it_shows_absent() -> None:
    nothing = {"password_enabled": "false", "mfa_active": "false"}
    nothing |= {f"access_key_{n}_last_rotated": "N/A" for n in (1, 2)}
    assert none_in_report(nothing) == {"LoginProfile", "MFADevices", "AccessKeys"}
    inactive_key = nothing | {"access_key_1_active": "false", "access_key_1_last_rotated": "2025-01-01T00:00:00+00:00"}
    assert none_in_report(inactive_key) == {"LoginProfile", "MFADevices"}
    assert none_in_report({**nothing, "password_enabled": "true", "mfa_active": "true"}) == {"AccessKeys"}
    assert none_in_report({"user": "x"}) == set()  # a row without the columns proves nothing
    assert none_in_report(None) == set()
    assert CredentialReport([{"user": "a"}]).row("b") is None


def test_a_bucket_without_a_policy_gets_no_policy_status_call(mocked: None) -> None:
    s3 = local_client("s3")
    for n in range(6):
        s3.create_bucket(Bucket=f"plain-{n}")
    s3.create_bucket(Bucket="shared")
    s3.put_bucket_policy(
        Bucket="shared",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}],
            }
        ),
    )
    calls, records = scan(("s3",))
    buckets = {r.name: r.config for r in records if r.type == "aws.s3.bucket"}
    assert calls["s3 GetBucketPolicyStatus"] == 1
    assert buckets["shared"]["PolicyStatus"] == {"IsPublic": True}
    assert all(buckets[f"plain-{n}"]["PolicyStatus"] is None for n in range(6))
    # moto's ListBuckets names no BucketRegion: one GetBucketLocation per bucket remains here (not on AWS)
    per_bucket = {op: n for op, n in calls.items() if op.startswith("s3 ") and op != "s3 ListBuckets"}
    assert per_bucket.pop("s3 GetBucketPolicyStatus") == 1
    assert set(per_bucket.values()) == {7}, per_bucket  # location, block, policy, ACL, encryption, versioning, logs


def add_buckets_in(regions: tuple[str, ...], each: int) -> dict[str, str]:
    placed = {}
    for region in regions:
        s3 = boto3.client("s3", region_name=region)
        for n in range(each):
            name = f"{region}-{n}"
            extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=name, **extra)
            placed[name] = region
    return placed


def regions_of(records: list[Any]) -> dict[str, str]:
    return {r.name: r.config["Region"] for r in records if r.type == "aws.s3.bucket"}


def test_bucket_regions_come_from_one_listing_per_region(mocked: None) -> None:
    regions = (REGION, "eu-west-1")
    placed = add_buckets_in(regions, each=4)
    calls, records = scan(("s3",), regions)
    # moto names no BucketRegion in a listing: a filtered listing per region places all eight buckets
    assert calls["s3 GetBucketLocation"] == 0 and calls["s3 ListBuckets"] == 1 + len(regions)
    assert regions_of(records) == placed
    assert all(r.region == placed[r.name] for r in records if r.type == "aws.s3.bucket")


def test_an_endpoint_that_ignores_the_region_filter_falls_back_to_each_bucket_s_location(mocked: None) -> None:
    regions = (REGION, "eu-west-1")
    placed = add_buckets_in(regions, each=4)
    # the filter dropped before it is sent: every regional listing returns every bucket, as such an endpoint would
    ignored = ("provide-client-params.s3.ListBuckets", lambda params, **_: params.pop("BucketRegion", None))
    calls, records = scan(("s3",), regions, hooks=(ignored,))
    assert calls["s3 GetBucketLocation"] == len(placed)
    assert regions_of(records) == placed


def test_one_region_or_few_buckets_keep_the_per_bucket_location(mocked: None) -> None:
    placed = add_buckets_in((REGION,), each=4)
    calls, records = scan(("s3",))  # one region: an ignored filter could not be told from one kept
    assert calls["s3 GetBucketLocation"] == 4 and calls["s3 ListBuckets"] == 1
    assert regions_of(records) == placed


def test_no_more_buckets_than_regions_keep_the_per_bucket_location(mocked: None) -> None:
    placed = add_buckets_in((REGION, "eu-west-1"), each=1)
    calls, records = scan(("s3",), (REGION, "eu-west-1"))
    assert calls["s3 GetBucketLocation"] == 2 and calls["s3 ListBuckets"] == 1
    assert regions_of(records) == placed


def test_ecr_and_eks_reads_two_collectors_need_are_made_once(mocked: None) -> None:
    ecr = local_client("ecr")
    for n in range(5):
        ecr.create_repository(repositoryName=f"repo-{n}")
        ecr.put_image(repositoryName=f"repo-{n}", imageManifest=MANIFEST, imageTag="v1")
    eks = local_client("eks")
    eks.create_cluster(
        name="one",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
    )
    calls, records = scan(("ecr", "ecr_scans", "eks", "eks_pod_identity"))
    assert calls["ecr DescribeRepositories"] == 1
    assert calls["ecr GetRegistryScanningConfiguration"] == 1
    assert calls["ecr DescribeImages"] == 5
    assert calls["eks ListClusters"] == 1
    types = Counter(r.type for r in records)
    assert types["aws.ecr.repository"] == 5 and types["aws.ecr_scans.image_scan"] == 5
    assert types["aws.eks.cluster"] == 1 and types["aws.eks.pod_identity_associations"] == 1
    repo = next(r for r in records if r.type == "aws.ecr.repository")
    assert repo.config["_Images"]["ImageCount"] == 1
