"""ECR image scan results against moto (mended by emulators.aws.scans): basic and Inspector, paged, denied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws, settings
from moto.core.authorization import ActionAuthenticatorMixin

import collectors.aws  # noqa: F401  (registers the collectors)
from collectors.aws import PROVIDER
from collectors.image_scans import IMAGE_SCAN_KEY
from collectors.records import Target
from collectors.run import collect, plan
from emulators.aws import scans
from emulators.aws.estate_images import build_image_scans
from emulators.aws.estate_images import manifest as image_manifest
from emulators.images import AWS_IMAGES, OLD_PUSH_DAYS, STALE_DAYS, DemoImage
from tests.collectors.aws.conftest import FAKE_ENV, local_client

ACCOUNT, REGION = "123456789012", "us-east-1"
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
NOW = datetime.now(UTC)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():  # moto's mends: tests/collectors/conftest.py
        scans.set_page_size(2)
        yield
    scans.set_page_size(None)


def run(services: tuple[str, ...] = ("ecr_scans",), **credentials: str) -> Any:
    target = Target(provider="aws", name="t", regions=(REGION,), credentials=credentials)
    session = PROVIDER.connect(target)
    calls: list[str] = []
    for service in ("ecr", "inspector2"):
        session.client(service, REGION).meta.events.register(
            f"before-call.{service}", lambda model, **_: calls.append(model.name)
        )
    units = [u for u in plan(PROVIDER, session, target) if u.service in services]
    return collect(PROVIDER, session, units), calls


def scans_by_repo(result: Any) -> dict[str, dict[str, Any]]:
    return {
        r.config[IMAGE_SCAN_KEY]["repository"]: r.config[IMAGE_SCAN_KEY]
        for r in result.records
        if r.type == "aws.ecr_scans.image_scan"
    }


def basic_finding(cve: str, severity: str, package: str = "openssl") -> dict[str, Any]:
    return {
        "name": cve,
        "description": f"{cve} in {package}",
        "uri": f"https://security-tracker.debian.org/tracker/{cve}",
        "severity": severity,
        "attributes": [
            {"key": "package_version", "value": "3.0.11-1"},
            {"key": "package_name", "value": package},
            {"key": "CVSS3_SCORE", "value": "7.5"},
        ],
    }


def push(name: str, tag: str = "1.0") -> DemoImage:
    image = DemoImage("aws", HOST, name, tag, "test")
    ecr = local_client("ecr")
    if name not in {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}:
        ecr.create_repository(repositoryName=name)
    ecr.put_image(repositoryName=name, imageManifest=image_manifest(image), imageTag=tag, imageDigest=image.digest)
    return image


def test_inspector_findings_are_read_per_image_through_every_page(aws: None) -> None:
    build_image_scans(local_client, now=NOW)
    result, calls = run()
    assert result.errors == []
    found = scans_by_repo(result)
    assert set(found) == {i.repository for i in AWS_IMAGES}
    assert calls.count("ListFindings") >= 2  # four findings, two a page
    critical = found["payments/checkout"]
    assert critical["scanner"] == "inspector" and critical["status"] == "complete"
    assert critical["digest"] == AWS_IMAGES[0].digest and critical["registry"] == HOST
    assert critical["tags"] == ["3.2.0"]
    worst = next(v for v in critical["vulnerabilities"] if v["severity"] == "CRITICAL")
    assert (worst["id"], worst["package"], worst["fixed_version"]) == ("CVE-2023-38545", "curl", "7.88.1-10+deb12u4")
    clean = found["payments/catalog"]
    assert clean["status"] == "complete" and clean["vulnerabilities"] == []
    stale = found["payments/ledger"]
    assert datetime.fromisoformat(stale["scanned_at"]) < NOW - timedelta(days=STALE_DAYS - 1)
    assert stale["vulnerabilities"][0]["fixed_version"] == ""  # Inspector's "NotAvailable"
    old = found["payments/mailer"]
    assert datetime.fromisoformat(old["pushed_at"]) < NOW - timedelta(days=OLD_PUSH_DAYS - 1)
    assert "ecr-basic" not in json.dumps(found)


def test_basic_scan_findings_page_and_severities_are_normalized(aws: None) -> None:
    vulnerable, clean, never, broken = push("web"), push("web", "2.0"), push("cron"), push("batch")
    findings = [
        basic_finding("CVE-2024-0001", "CRITICAL"),
        basic_finding("CVE-2024-0002", "INFORMATIONAL", "zlib"),
        basic_finding("CVE-2024-0003", "UNDEFINED", "bash"),
    ]
    when = NOW - timedelta(days=2)
    scans.put_ecr_scan(
        ACCOUNT, REGION, "web", vulnerable.digest, status="COMPLETE", completed_at=when, findings=findings
    )
    scans.put_ecr_scan(ACCOUNT, REGION, "web", clean.digest, status="COMPLETE", completed_at=when, findings=[])
    scans.put_ecr_scan(ACCOUNT, REGION, "batch", broken.digest, status="FAILED", completed_at=when, findings=[])
    result, calls = run()
    assert result.errors == []
    by_digest = {r.config[IMAGE_SCAN_KEY]["digest"]: r.config[IMAGE_SCAN_KEY] for r in result.records}
    hit = by_digest[vulnerable.digest]
    assert hit["scanner"] == "ecr-basic" and hit["status"] == "complete"
    assert datetime.fromisoformat(hit["scanned_at"]) == when.replace(microsecond=when.microsecond // 1000 * 1000)
    severities = {v["id"]: v["severity"] for v in hit["vulnerabilities"]}
    assert severities == {"CVE-2024-0001": "CRITICAL", "CVE-2024-0002": "LOW", "CVE-2024-0003": "UNKNOWN"}
    assert {v["package"] for v in hit["vulnerabilities"]} == {"openssl", "zlib", "bash"}
    assert calls.count("DescribeImageScanFindings") >= 5  # three findings at two a page: two calls for that image
    assert by_digest[clean.digest]["status"] == "complete" and by_digest[clean.digest]["vulnerabilities"] == []
    assert by_digest[never.digest]["status"] == "unsupported" and by_digest[never.digest]["scanned_at"] is None
    assert by_digest[broken.digest]["status"] == "failed"


def test_a_denied_inspector_fails_its_unit_alone(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    build_image_scans(local_client, now=NOW)
    iam = local_client("iam")
    iam.create_user(UserName="scanner")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "inspector2:*", "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName="scanner", PolicyName="no-inspector", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="scanner")["AccessKey"]
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # moto checks IAM policies from here on
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    result, _ = run(("ecr", "ecr_scans"), access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    assert [(e.service, e.kind) for e in result.errors] == [("ecr_scans", "denied")]
    assert "in ListFindings" in result.errors[0].error
    assert {r.type for r in result.records} >= {"aws.ecr.registry", "aws.ecr.repository"}  # the rest is kept
    assert not [r for r in result.records if r.type == "aws.ecr_scans.image_scan"]


def test_the_mended_answers_keep_the_sdk_shapes(aws: None) -> None:
    """DescribeImages' scan status and a paged ListFindings parse with botocore's own models."""
    build_image_scans(local_client, now=NOW)
    ecr = boto3.client("ecr", region_name=REGION)
    detail = ecr.describe_images(repositoryName="payments/checkout")["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "ACTIVE"
    assert isinstance(detail["imageScanFindingsSummary"]["imageScanCompletedAt"], datetime)
    inspector = boto3.client("inspector2", region_name=REGION)
    page = inspector.list_findings(
        filterCriteria={"ecrImageRepositoryName": [{"comparison": "EQUALS", "value": "payments/checkout"}]}
    )
    assert len(page["findings"]) == 2 and "nextToken" not in page
    assert page["findings"][0]["resources"][0]["details"]["awsEcrContainerImage"]["imageHash"] == AWS_IMAGES[0].digest
