"""From the command line to exported findings, against the Google Cloud emulator on loopback.

``accounts add gcp --api-endpoint URL --access-token TOKEN --projects ...``, ``accounts test``, ``scan`` and
``findings export`` over the demo estate (a kept project and a neglected one), checking which CIS GCP and
CIS GKE controls fail on which resources; then one API fails and the scan is partial with the rest intact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from emulators.gcp import GcpEmulator, demo_estate
from posture.findings.models import ComplianceSnapshot
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan
from tests.collectors.gcp.conftest import TOKEN

pytestmark = pytest.mark.django_db
CONTAINER = "//container.googleapis.com/projects"
PROD = "//cloudresourcemanager.googleapis.com/projects/acme-prod"
SANDBOX = "//cloudresourcemanager.googleapis.com/projects/acme-sandbox"


def add_and_scan(url: str, tmp_path: Path, name: str = "acme") -> tuple[Scan, dict[tuple[str, str], dict[str, Any]]]:
    call_command(
        "accounts", "add", "gcp", "--name", name, "--api-endpoint", url, "--access-token", TOKEN,
        "--folder", "folders/1001",
    )  # fmt: skip
    call_command("accounts", "test", name)
    call_command("scan", name)
    out = tmp_path / "findings.json"
    call_command("findings", "export", "--format", "json", "--output", str(out))
    rows = json.loads(out.read_text())
    scan = Scan.objects.filter(account__name=name).latest("created_at")
    return scan, {(row["rule"], row["resource"]["uid"]): row for row in rows}


def status(findings: dict, rule: str, uid: str) -> str:
    assert (rule, uid) in findings, f"no finding of {rule} on {uid}"
    return findings[(rule, uid)]["status"]


def controls(row: dict[str, Any], framework: str) -> set[str]:
    return {c["control"] for c in row["controls"] if c["framework"] == framework}


def test_a_folder_scan_names_the_failing_cis_gcp_and_gke_controls(tmp_path: Path) -> None:
    with GcpEmulator(demo_estate(), token=TOKEN) as emulator:
        scan, findings = add_and_scan(emulator.url, tmp_path)
    assert scan.state == "succeeded", scan.errors
    assert CloudAccount.objects.get(name="acme").external_id == "folders/1001"

    kept = f"{CONTAINER}/acme-prod/locations/europe-west1/clusters/payments"
    neglected = f"{CONTAINER}/acme-sandbox/locations/us-central1-a/clusters/legacy-web"
    gke_rules = sorted({rule for rule, uid in findings if uid in (kept, neglected)})
    assert len(gke_rules) == 21
    for rule in gke_rules:
        assert status(findings, rule, kept) == "PASS", rule
        assert status(findings, rule, neglected) == "FAIL", rule
    row = findings[("gcp.container.cluster_private_endpoint", neglected)]
    assert controls(row, "cis-gke-1.9") == {"5.6.4"}
    assert {"path": "controlPlaneEndpointsConfig.ipEndpointsConfig.enablePublicEndpoint", "value": True} in row[
        "evidence"
    ]
    pool = f"{neglected}/nodePools/pool-1"
    for rule in (
        "node_pool_not_default_service_account",
        "node_pool_cos_containerd",
        "node_pool_secure_boot",
        "node_pool_gke_metadata_server",
        "node_pool_auto_repair",
        "node_pool_boot_disk_cmek",
        "node_pool_registry_read_only",  # the sandbox's Compute Engine default account is an Editor
    ):
        assert status(findings, f"gcp.container.{rule}", pool) == "FAIL", rule
        assert status(findings, f"gcp.container.{rule}", f"{kept}/nodePools/default-pool") == "PASS", rule
    assert status(findings, "gcp.container.node_pool_integrity_monitoring", pool) == "PASS"

    compute = "//compute.googleapis.com/projects"
    assert (
        status(
            findings,
            "gcp.compute.firewall_ssh_restricted",
            f"{compute}/acme-sandbox/global/firewalls/default-allow-ssh",
        )
        == "FAIL"
    )
    assert (
        status(
            findings, "gcp.compute.firewall_ssh_restricted", f"{compute}/acme-prod/global/firewalls/prod-allow-iap-ssh"
        )
        == "PASS"
    )
    assert (
        status(findings, "gcp.compute.firewall_rdp_restricted", f"{compute}/acme-prod/global/firewalls/old-allow-all")
        == "PASS"
    )
    assert (
        status(findings, "gcp.compute.network_not_default", f"{compute}/acme-sandbox/global/networks/default") == "FAIL"
    )
    assert (
        status(findings, "gcp.compute.network_not_legacy", f"{compute}/acme-sandbox/global/networks/classic") == "FAIL"
    )
    assert (
        status(
            findings, "gcp.compute.subnetwork_flow_logs", f"{compute}/acme-prod/regions/us-central1/subnetworks/default"
        )
        == "FAIL"
    )
    legacy_vm = f"{compute}/acme-prod/zones/us-central1-a/instances/legacy-vm"
    api_vm = f"{compute}/acme-prod/zones/europe-west1-b/instances/api-1"
    for rule in (
        "instance_not_default_service_account",
        "instance_default_sa_not_full_access",
        "instance_serial_port_disabled",
        "instance_ip_forwarding_disabled",
        "instance_no_public_ip",
        "instance_oslogin_not_disabled",
        "instance_blocks_project_ssh_keys",
        "instance_shielded_vm",
        "instance_confidential_computing",
    ):
        assert status(findings, f"gcp.compute.{rule}", legacy_vm) == "FAIL", rule
        assert status(findings, f"gcp.compute.{rule}", api_vm) == "PASS", rule
    assert status(findings, "gcp.compute.project_oslogin_enabled", f"{compute}/acme-sandbox") == "FAIL"
    assert status(findings, "gcp.compute.project_oslogin_enabled", f"{compute}/acme-prod") == "PASS"

    bucket = "//storage.googleapis.com/projects/_/buckets/"
    assert status(findings, "gcp.storage.bucket_not_public", bucket + "acme-prod-public-site") == "FAIL"
    assert status(findings, "gcp.storage.bucket_not_public", bucket + "acme-sandbox-share") == "FAIL"
    assert status(findings, "gcp.storage.bucket_not_public", bucket + "acme-prod-artifacts") == "PASS"
    assert status(findings, "gcp.storage.bucket_uniform_access", bucket + "acme-sandbox-logs") == "FAIL"
    assert status(findings, "gcp.storage.log_bucket_retention_locked", bucket + "acme-prod-audit-logs") == "PASS"
    assert status(findings, "gcp.storage.log_bucket_retention_locked", bucket + "acme-sandbox-logs") == "FAIL"
    assert (("gcp.storage.log_bucket_retention_locked", bucket + "acme-prod-artifacts")) not in findings

    for rule in (
        "service_accounts_not_admin",
        "no_project_service_account_user",
        "service_account_duties_separated",
        "kms_duties_separated",
        "audit_logging_all_services",
        "cloud_asset_inventory_enabled",
    ):
        assert status(findings, f"gcp.resourcemanager.{rule}", SANDBOX) == "FAIL", rule
        assert status(findings, f"gcp.resourcemanager.{rule}", PROD) == "PASS", rule
    sa = "//iam.googleapis.com/projects/"
    assert (
        status(
            findings,
            "gcp.iam.service_account_keys_rotated",
            sa + "acme-sandbox/serviceAccounts/ci-deployer@acme-sandbox.iam.gserviceaccount.com",
        )
        == "FAIL"
    )
    assert (
        status(
            findings,
            "gcp.iam.service_account_keys_rotated",
            sa + "acme-prod/serviceAccounts/api@acme-prod.iam.gserviceaccount.com",
        )
        == "PASS"
    )
    assert (
        status(
            findings,
            "gcp.iam.service_account_no_user_managed_keys",
            sa + "acme-prod/serviceAccounts/api@acme-prod.iam.gserviceaccount.com",
        )
        == "FAIL"
    )
    key = "//cloudkms.googleapis.com/projects/acme-sandbox/locations/us-central1/keyRings/app/cryptoKeys/app-data"
    assert status(findings, "gcp.kms.crypto_key_not_public", key) == "FAIL"
    assert status(findings, "gcp.kms.crypto_key_rotation", key) == "FAIL"
    assert (
        status(
            findings,
            "gcp.kms.crypto_key_rotation",
            key.replace(
                "acme-sandbox/locations/us-central1/keyRings/app/cryptoKeys/app-data",
                "acme-prod/locations/europe-west1/keyRings/gke/cryptoKeys/gke-secrets",
            ),
        )
        == "PASS"
    )

    prod_logs, sandbox_logs = (
        "//logging.googleapis.com/projects/acme-prod",
        "//logging.googleapis.com/projects/acme-sandbox",
    )
    assert status(findings, "gcp.logging.sink_all_entries", prod_logs) == "PASS"
    assert status(findings, "gcp.logging.sink_all_entries", sandbox_logs) == "FAIL"
    for slug in (
        "project_ownership_changes",
        "audit_config_changes",
        "custom_role_changes",
        "firewall_rule_changes",
        "route_changes",
        "network_changes",
    ):
        assert status(findings, f"gcp.logging.alert_{slug}", prod_logs) == "PASS", slug
        assert status(findings, f"gcp.logging.alert_{slug}", sandbox_logs) == "FAIL", slug
    assert status(findings, "gcp.logging.alert_bucket_iam_changes", prod_logs) == "FAIL"  # the alert notifies no one
    assert status(findings, "gcp.logging.alert_sql_config_changes", prod_logs) == "FAIL"  # no metric

    sql = "//cloudsql.googleapis.com/projects/"
    open_mysql, private_pg = sql + "acme-sandbox/instances/legacy-mysql", sql + "acme-prod/instances/orders-pg"
    for rule in ("ssl_required", "no_world_authorized_network", "no_public_ip", "automated_backups"):
        assert status(findings, f"gcp.sql.instance_{rule}", open_mysql) == "FAIL", rule
        assert status(findings, f"gcp.sql.instance_{rule}", private_pg) == "PASS", rule
    assert status(findings, "gcp.sql.mysql_local_infile_off", open_mysql) == "FAIL"
    assert status(findings, "gcp.sql.mysql_local_infile_off", sql + "acme-prod/instances/wiki-mysql") == "PASS"
    assert status(findings, "gcp.sql.postgres_pgaudit_enabled", private_pg) == "PASS"
    assert status(findings, "gcp.sql.postgres_pgaudit_enabled", sql + "acme-sandbox/instances/reports-pg") == "FAIL"
    assert ("gcp.sql.postgres_pgaudit_enabled", open_mysql) not in findings  # a PostgreSQL flag, on MySQL
    assert ("gcp.sql.instance_automated_backups", private_pg + "-replica") not in findings
    row = findings[("gcp.sql.sqlserver_remote_access_off", sql + "acme-sandbox/instances/reports-mssql")]
    assert row["status"] == "FAIL" and controls(row, "cis-gcp-foundations-5.0") == {"6.3.5"}
    assert {"path": "settings.databaseFlags[remote access]", "value": None} in row["evidence"]

    row = findings[("gcp.logging.alert_firewall_rule_changes", sandbox_logs)]
    assert controls(row, "cis-gcp-foundations-5.0") == {"2.8"}
    assert {"path": "metrics[matching filter]", "value": ["firewall-changes"]} in row["evidence"]
    snapshots = {s.control_id: s for s in ComplianceSnapshot.objects.filter(scan=scan, framework_id="cis-gke-1.9")}
    assert snapshots["5.6.4"].status == "fail" and snapshots["5.6.4"].passed == 1 and snapshots["5.6.4"].failed == 1
    gcp = {
        s.control_id: s for s in ComplianceSnapshot.objects.filter(scan=scan, framework_id="cis-gcp-foundations-5.0")
    }
    assert gcp["3.6"].status == "fail" and gcp["1.10"].failed == 1
    assert (gcp["6.5"].passed, gcp["6.5"].failed) == (6, 1)


@pytest.mark.usefixtures("per_service")
def test_one_failing_api_leaves_the_scan_partial_with_the_rest_intact(tmp_path: Path) -> None:
    with GcpEmulator(demo_estate(), token=TOKEN) as emulator:
        emulator.fail("monitoring", status=500)
        emulator.fail("compute", status=500, match="/global/firewalls")
        scan, findings = add_and_scan(emulator.url, tmp_path, name="broken")
    assert scan.state == "partial"
    assert sorted((e["service"], e["kind"]) for e in scan.errors) == [
        ("compute_firewalls", "error"),
        ("logging", "error"),
    ]
    assert not any(rule.startswith("gcp.compute.firewall_") for rule, _ in findings)
    prod_logs = "//logging.googleapis.com/projects/acme-prod"
    assert status(findings, "gcp.logging.alert_firewall_rule_changes", prod_logs) == "ERROR"
    assert status(findings, "gcp.logging.sink_all_entries", prod_logs) == "PASS"  # sinks were read
    neglected = f"{CONTAINER}/acme-sandbox/locations/us-central1-a/clusters/legacy-web"
    assert status(findings, "gcp.container.cluster_legacy_abac_disabled", neglected) == "FAIL"
    assert (
        status(
            findings, "gcp.storage.bucket_not_public", "//storage.googleapis.com/projects/_/buckets/acme-sandbox-share"
        )
        == "FAIL"
    )


def test_the_command_line_refuses_bad_gcp_options_and_stores_nothing(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nMIIE"}))
    with pytest.raises(CommandError) as raised:
        call_command("accounts", "add", "gcp", "--name", "bad", "--service-account-key-file", str(key))
    assert "client_email" in str(raised.value) and "MIIE" not in str(raised.value)
    with pytest.raises(CommandError, match="choose one scope"):
        call_command("accounts", "add", "gcp", "--name", "bad", "--projects", "acme-prod", "--folder", "1001")
    with pytest.raises(CommandError, match="not project ids"):
        call_command("accounts", "add", "gcp", "--name", "bad", "--access-token", TOKEN, "--projects", "Bad_Id")
    assert not CloudAccount.objects.filter(name="bad").exists()
