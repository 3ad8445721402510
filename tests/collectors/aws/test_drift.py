"""Drift on an AWS account: delivery and restore times, pushed images, an instance stopped and started are no
drift; a bucket opened to the public is."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

import collectors.aws  # noqa: F401  (registers the collectors)
from emulators.aws.estate import MANIFEST, build_estate
from posture.inventory.models import Resource, ResourceChange
from posture.scans.drift import drift
from posture.scans.models import Scan
from tests.collectors.aws.conftest import server_client
from tests.collectors.aws.test_end_to_end import add_and_scan

pytestmark = pytest.mark.django_db


def rescan() -> Scan:
    call_command("scan", "moto")
    return Scan.objects.filter(account__name="moto").latest("created_at")


def test_aws_bookkeeping_is_no_drift_but_opening_a_bucket_is(server_url: str, tmp_path: Path) -> None:
    client = server_client(server_url)
    build_estate(client)
    ec2 = client("ec2")
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    add_and_scan(server_url, tmp_path)
    assert Resource.objects.filter(type="aws.ec2.instance").exists()

    ec2.stop_instances(InstanceIds=[instance])  # State and LaunchTime move; the instance's configuration does not
    ec2.start_instances(InstanceIds=[instance])
    client("ecr").put_image(repositoryName="api", imageManifest=MANIFEST.replace("1", "2"), imageTag="v2")
    quiet = rescan()
    moved = [
        (t, f["path"])
        for t, d in ResourceChange.objects.filter(scan=quiet).values_list("resource__type", "diff")
        for f in d
    ]
    assert not moved
    assert quiet.counts["resources_changed"] == 0

    client("s3").put_public_access_block(
        Bucket="posture-private",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    body = drift(rescan())
    [bucket] = [c for c in body["resources_changed"] if c["name"] == "posture-private"]
    assert bucket["uid"] == "arn:aws:s3:::posture-private"
    assert {"path": "PublicAccessBlockConfiguration.BlockPublicPolicy", "before": True, "after": False} in bucket[
        "fields"
    ]
    assert body["counts"]["modified"] == len(body["resources_changed"])
