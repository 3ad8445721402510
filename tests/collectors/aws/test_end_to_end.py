"""From the command line to exported findings, against a moto server on loopback.

Builds a small estate with known faults, adds the account with ``--endpoint-url``,
scans it, exports the findings as JSON, and checks which CIS controls fail on
which resources. Then injects faults (a 500, throttling) into two services and
checks the scan is partial with those errors and every other finding intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from moto.core.exceptions import JsonRESTError
from moto.guardduty.models import GuardDutyBackend
from moto.rds.exceptions import RDSClientError
from moto.rds.models import RDSBackend

import collectors.aws  # noqa: F401  (registers the collectors)
from emulators.aws.estate import ACCOUNT, REGION, build_estate
from posture.inventory.models import CloudAccount, Resource
from posture.scans.models import Scan
from tests.collectors.aws.conftest import server_client

pytestmark = pytest.mark.django_db
ACCOUNT_SETTINGS = f"arn:aws:iam::{ACCOUNT}:account-settings"


def add_and_scan(url: str, tmp_path: Path, name: str = "moto") -> tuple[Scan, dict[tuple[str, str], dict[str, Any]]]:
    call_command(
        "accounts", "add", "aws", "--name", name, "--endpoint-url", url,
        "--access-key-id", "testing", "--secret-access-key", "testing", "--regions", REGION,
    )  # fmt: skip
    call_command("accounts", "test", name)
    call_command("scan", name)
    out = tmp_path / "findings.json"
    call_command("findings", "export", "--format", "json", "--output", str(out))
    rows = json.loads(out.read_text())
    scan = Scan.objects.filter(account__name=name).latest("created_at")
    return scan, {(row["rule"], row["resource"]["uid"]): row for row in rows}


def controls(row: dict[str, Any], framework: str = "cis-aws-foundations-7.0") -> set[str]:
    return {c["control"] for c in row["controls"] if c["framework"] == framework}


def status(findings: dict, rule: str, uid: str) -> str:
    assert (rule, uid) in findings, f"no finding of {rule} on {uid}"
    return findings[(rule, uid)]["status"]


def test_scan_from_the_command_line_names_the_failing_controls(server_url: str, tmp_path: Path) -> None:
    uids = build_estate(server_client(server_url))
    scan, findings = add_and_scan(server_url, tmp_path)

    assert CloudAccount.objects.get(name="moto").external_id == ACCOUNT
    # moto has no IAM Access Analyzer: its server answers ListAnalyzers with a bare HTTP 500
    assert scan.state == "partial"
    assert [(e["service"], e["region"]) for e in scan.errors] == [("accessanalyzer", REGION)]
    assert "ListAnalyzers" in scan.errors[0]["error"]
    # s3control reached the loopback server (the account-id host prefix is stripped) and said "not configured"
    s3_account = Resource.objects.get(uid=f"arn:aws:s3::{ACCOUNT}:account-settings").config
    assert s3_account["PublicAccessBlockConfiguration"] is None and "_errors" not in s3_account

    sg = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{uids['open_ssh']}"
    trail = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/main-trail"
    web = f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{uids['web']}"
    expected_failures = {
        ("aws.iam.user_console_mfa", f"arn:aws:iam::{ACCOUNT}:user/alice"): "2.10",
        ("aws.iam.user_permissions_through_groups_only", f"arn:aws:iam::{ACCOUNT}:user/deploy"): "2.13",
        ("aws.iam.no_attached_full_admin_policy", f"arn:aws:iam::{ACCOUNT}:policy/full-admin"): "2.14",
        ("aws.iam.password_minimum_length_14", ACCOUNT_SETTINGS): "2.8",
        ("aws.iam.root_mfa_enabled", ACCOUNT_SETTINGS): "2.5",
        ("aws.s3.bucket_policy_no_public_principal", "arn:aws:s3:::posture-public"): "2.21",
        ("aws.s3.bucket_blocks_public_access", "arn:aws:s3:::posture-public"): "3.1.4",
        ("aws.s3.account_blocks_public_access", f"arn:aws:s3::{ACCOUNT}:account-settings"): "3.1.4",
        ("aws.s3.bucket_denies_http", "arn:aws:s3:::posture-public"): "3.1.1",
        ("aws.ec2.security_group_no_public_admin_ports_ipv4", sg): "6.3",
        ("aws.ec2.vpc_flow_logs_enabled", f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{uids['vpc']}"): "4.7",
        ("aws.cloudtrail.encrypted_with_kms", trail): "4.5",
        ("aws.cloudtrail.bucket_access_logging_enabled", trail): "4.4",
        ("aws.config.recorder_enabled_in_region", f"arn:aws:config:{REGION}:{ACCOUNT}:recorders"): "4.3",
        ("aws.kms.customer_key_rotation_enabled", uids["unrotated_key"]): "4.6",
        ("aws.rds.storage_encrypted", uids["db"]): "3.2.1",
        ("aws.rds.not_publicly_accessible", uids["db"]): "3.2.3",
        ("aws.efs.encrypted", uids["efs_plain"]): "3.3.1",
        ("aws.securityhub.enabled_in_region", f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"): "5.16",
        ("aws.cloudwatch.unauthorized_api_calls_alarm", ACCOUNT_SETTINGS): "5.1",
    }  # fmt: skip
    for (rule, uid), control in expected_failures.items():
        assert status(findings, rule, uid) == "FAIL", (rule, uid, findings[(rule, uid)]["message"])
        assert control in controls(findings[(rule, uid)]), (rule, controls(findings[(rule, uid)]))
        assert findings[(rule, uid)]["evidence"], (rule, uid)
    acl = findings[("aws.s3.bucket_acl_not_public", "arn:aws:s3:::posture-public")]  # no CIS control names ACLs
    assert (acl["status"], acl["message"]) == ("FAIL", "the ACL grants READ to everyone (AllUsers)"), acl

    # EKS / ECR / GuardDuty: CIS EKS controls and the container-stack checks
    eks_failures = {
        ("aws.eks.control_plane_logging_enabled", uids["cluster"]): "2.1.1",
        ("aws.eks.secrets_encrypted_with_kms", uids["cluster"]): "5.3.1",
        ("aws.eks.endpoint_public_access_restricted", uids["cluster"]): "5.4.1",
        ("aws.eks.access_entries_enabled", uids["cluster"]): "4.1.7",
        ("aws.ecr.repository_image_scanning_enabled", uids["api_repo"]): "5.1.1",
    }
    for (rule, uid), control in eks_failures.items():
        assert status(findings, rule, uid) == "FAIL", (rule, uid)
        assert control in controls(findings[(rule, uid)], "cis-eks-1.8")
    assert status(findings, "aws.eks.version_in_standard_support", uids["cluster"]) == "FAIL"
    assert status(findings, "aws.eks.nodegroup_no_public_admin_ports", uids["nodegroup"]) == "FAIL"
    assert status(findings, "aws.eks.nodegroup_registry_read_only", uids["nodegroup"]) == "FAIL"  # pushes images
    assert status(findings, "aws.ecr.repository_tags_immutable", uids["api_repo"]) == "FAIL"
    assert (
        status(findings, "aws.guardduty.eks_protection_enabled", f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detectors")
        == "FAIL"
    )

    # and what is configured well passes
    passing = [
        ("aws.cloudwatch.root_account_usage_alarm", ACCOUNT_SETTINGS),
        ("aws.cloudtrail.multi_region_trail_logging", ACCOUNT_SETTINGS),
        ("aws.cloudtrail.log_file_validation_enabled", trail),
        ("aws.s3.bucket_blocks_public_access", "arn:aws:s3:::posture-private"),
        ("aws.s3.bucket_denies_http", "arn:aws:s3:::posture-private"),
        ("aws.s3.bucket_acl_not_public", "arn:aws:s3:::posture-trail-logs"),
        ("aws.ec2.security_group_no_public_admin_ports_ipv4", web),
        ("aws.ec2.ebs_default_encryption_enabled", f"arn:aws:ec2:{REGION}:{ACCOUNT}:account-settings"),
        ("aws.kms.customer_key_rotation_enabled", uids["rotated_key"]),
        ("aws.efs.encrypted", uids["efs_sealed"]),
        ("aws.ecr.repository_tags_immutable", uids["base_repo"]),
        ("aws.ecr.repository_image_scanning_enabled", uids["base_repo"]),
    ]
    for rule, uid in passing:
        assert status(findings, rule, uid) == "PASS", (rule, uid, findings[(rule, uid)]["message"])
    evidence = findings[("aws.ec2.security_group_no_public_admin_ports_ipv4", sg)]["evidence"]
    assert evidence == [
        {"path": "IpPermissions", "value": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ports": [22]}]}
    ]


def server_error(self: Any, *args: Any, **kwargs: Any) -> None:
    """GuardDuty (a JSON API) answering HTTP 500."""
    error = JsonRESTError("InternalServerErrorException", "boom")
    error.code = 500
    raise error


def throttled(self: Any, *args: Any, **kwargs: Any) -> None:
    """RDS (a query/XML API) answering Throttling, as AWS does under load."""
    raise RDSClientError("Throttling", "Rate exceeded")


@pytest.mark.filterwarnings("ignore:Exception\\(RDSClientError\\):UserWarning")
def test_a_failing_or_throttled_service_leaves_the_rest_of_the_scan(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uids = build_estate(server_client(server_url))
    monkeypatch.setattr(GuardDutyBackend, "list_detectors", server_error)
    monkeypatch.setattr(RDSBackend, "describe_db_instances", throttled)
    scan, findings = add_and_scan(server_url, tmp_path, name="flaky")

    assert scan.state == "partial"
    errors = {e["service"]: e for e in scan.errors}
    assert set(errors) == {"accessanalyzer", "guardduty", "rds"}
    assert errors["rds"]["kind"] == "throttled" and "Throttling" in errors["rds"]["error"]
    assert errors["rds"]["error"].startswith("the API throttled the calls")
    assert errors["guardduty"]["kind"] == "error" and errors["guardduty"]["region"] == REGION
    assert not any(rule.startswith(("aws.rds.", "aws.guardduty.")) for rule, _ in findings)
    # every other service's findings are still there
    assert status(findings, "aws.efs.encrypted", uids["efs_plain"]) == "FAIL"
    assert status(findings, "aws.eks.endpoint_public_access_restricted", uids["cluster"]) == "FAIL"
    assert status(findings, "aws.s3.bucket_policy_no_public_principal", "arn:aws:s3:::posture-public") == "FAIL"
    assert status(findings, "aws.cloudwatch.root_account_usage_alarm", ACCOUNT_SETTINGS) == "PASS"
