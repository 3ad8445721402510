"""accounts add azure -> scan -> findings export, against the ARM emulator, as a user would run them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate
from emulators.azure.estate import TENANT
from posture.findings.models import FindingEvent
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan
from tests.collectors.azure.conftest import TOKEN

pytestmark = pytest.mark.django_db
RG = f"/subscriptions/{SUB}/resourceGroups"

# (rule, resource uid) pairs the demo subscription must fail: one or more per service.
EXPECTED_FAILURES = {
    ("azure.aks.entra_id_integration", f"{RG}/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy"),
    (
        "azure.aks.local_accounts_disabled",
        f"{RG}/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy",
    ),
    ("azure.aks.network_policy_set", f"{RG}/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy"),
    (
        "azure.aks.kube_audit_logs_exported",
        f"{RG}/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy",
    ),
    (
        "azure.aks.node_pool_version_current",
        f"{RG}/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy/agentPools/batch",
    ),
    (
        "azure.storage.blob_anonymous_access_disabled",
        f"{RG}/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata",
    ),
    ("azure.storage.minimum_tls_12", f"{RG}/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata"),
    (
        "azure.storage.container_not_public",
        f"{RG}/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata/blobServices/default/containers/public-assets",
    ),
    ("azure.network.nsg_rdp_not_open", f"{RG}/legacy/providers/Microsoft.Network/networkSecurityGroups/nsg-legacy"),
    ("azure.network.nsg_ssh_not_open", f"{RG}/legacy/providers/Microsoft.Network/networkSecurityGroups/nsg-legacy"),
    (
        "azure.network.flow_log_retention_90_days",
        f"{RG}/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope/flowLogs/fl-nsg-legacy",
    ),
    ("azure.monitor.alert_service_health", f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management"),
    (
        "azure.monitor.activity_log_categories",
        f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management",
    ),
    (
        "azure.authorization.subscription_owners_2_to_3",
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments",
    ),
    ("azure.security.defender_storage", f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/StorageAccounts"),
    ("azure.keyvault.purge_protection", f"{RG}/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy"),
    ("azure.network.app_gateway_tls_12", f"{RG}/legacy/providers/Microsoft.Network/applicationGateways/agw-legacy"),
    ("azure.acr.admin_user_disabled", f"{RG}/legacy/providers/Microsoft.ContainerRegistry/registries/acrlegacy"),
    ("azure.keyvault.access_policy_keys_expire", f"{RG}/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy"),
    ("azure.keyvault.key_rotation_enabled", f"{RG}/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy"),
    ("azure.keyvault.certificate_validity_12_months", f"{RG}/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy"),
    ("azure.databricks.no_public_ip", f"{RG}/legacy/providers/Microsoft.Databricks/workspaces/dbw-legacy"),
    ("azure.entra.mfa_registered_all_members", f"/tenants/{TENANT}"),
    ("azure.entra.graph_activity_logs_exported", f"/tenants/{TENANT}"),
    ("azure.entra.disabled_users_without_roles", f"/tenants/{TENANT}"),
    ("azure.entra.intune_logs_to_log_analytics", f"/tenants/{TENANT}"),
    ("azure.entra.privileged_users_have_mfa", f"/tenants/{TENANT}"),
    ("azure.entra.guests_active", f"/tenants/{TENANT}"),
    ("azure.databricks.unity_catalog_enabled", f"{RG}/legacy/providers/Microsoft.Databricks/workspaces/dbw-legacy"),
    (
        "azure.aks.kubelet_identity_registry_pull_only",
        f"{RG}/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy",
    ),
}
EXPECTED_PASSES = {
    ("azure.aks.entra_id_integration", f"{RG}/platform/providers/Microsoft.ContainerService/managedClusters/aks-prod"),
    (
        "azure.aks.kube_audit_logs_exported",
        f"{RG}/platform/providers/Microsoft.ContainerService/managedClusters/aks-prod",
    ),
    ("azure.storage.minimum_tls_12", f"{RG}/platform/providers/Microsoft.Storage/storageAccounts/stprodlogs"),
    ("azure.monitor.alert_nsg_write", f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management"),
    ("azure.security.defender_containers", f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Containers"),
    ("azure.keyvault.purge_protection", f"{RG}/platform/providers/Microsoft.KeyVault/vaults/kv-prod"),
    ("azure.keyvault.rbac_keys_expire", f"{RG}/platform/providers/Microsoft.KeyVault/vaults/kv-prod"),
    ("azure.keyvault.key_rotation_enabled", f"{RG}/platform/providers/Microsoft.KeyVault/vaults/kv-prod"),
    ("azure.keyvault.certificate_validity_12_months", f"{RG}/platform/providers/Microsoft.KeyVault/vaults/kv-prod"),
    ("azure.databricks.subnets_have_nsg", f"{RG}/platform/providers/Microsoft.Databricks/workspaces/dbw-prod"),
    ("azure.databricks.diagnostic_logs", f"{RG}/platform/providers/Microsoft.Databricks/workspaces/dbw-prod"),
    ("azure.entra.security_defaults_enabled", f"/tenants/{TENANT}"),
    ("azure.entra.activity_logs_exported", f"/tenants/{TENANT}"),
    ("azure.entra.tenant_creation_restricted", f"/tenants/{TENANT}"),
    (
        "azure.aks.kubelet_identity_registry_pull_only",
        f"{RG}/platform/providers/Microsoft.ContainerService/managedClusters/aks-prod",
    ),
}
# Data protection, locks, VPN, HTTP/2, Defender components and contacts (emulators.azure.estate_mgmt): rule ->
# (a failing resource, a passing one); None where the demo subscription has one record only.
LEGACY_DATA = f"{RG}/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata"
PROD_LOGS = f"{RG}/platform/providers/Microsoft.Storage/storageAccounts/stprodlogs"
SECURITY = f"/subscriptions/{SUB}/providers/Microsoft.Security"
MANAGEMENT_VERDICTS = {
    "azure.storage.blob_soft_delete": (LEGACY_DATA, PROD_LOGS),
    "azure.storage.container_soft_delete": (LEGACY_DATA, PROD_LOGS),
    "azure.storage.blob_versioning": (LEGACY_DATA, PROD_LOGS),
    "azure.storage.geo_redundant": (LEGACY_DATA, PROD_LOGS),
    "azure.storage.keys_regenerated": (LEGACY_DATA, PROD_LOGS),
    "azure.storage.delete_lock": (LEGACY_DATA, PROD_LOGS),
    "azure.storage.blob_logs_exported": (LEGACY_DATA, PROD_LOGS),
    "azure.network.storage_in_security_perimeter": (LEGACY_DATA, PROD_LOGS),
    "azure.network.key_vault_in_security_perimeter": (
        f"{RG}/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy",
        f"{RG}/platform/providers/Microsoft.KeyVault/vaults/kv-prod",
    ),
    "azure.network.vpn_p2s_entra_only": (
        f"{RG}/legacy/providers/Microsoft.Network/virtualNetworkGateways/vpngw-legacy",
        f"{RG}/platform/providers/Microsoft.Network/virtualNetworkGateways/vpngw-hub",
    ),
    "azure.network.app_gateway_http2": (
        f"{RG}/legacy/providers/Microsoft.Network/applicationGateways/agw-legacy",
        f"{RG}/platform/providers/Microsoft.Network/applicationGateways/agw-edge",
    ),
    "azure.network.public_ip_not_basic_sku": (
        f"{RG}/legacy/providers/Microsoft.Network/publicIPAddresses/pip-legacy-spare",
        f"{RG}/platform/providers/Microsoft.Network/publicIPAddresses/pip-agw-edge",
    ),
    "azure.network.public_ip_in_use": (
        f"{RG}/legacy/providers/Microsoft.Network/publicIPAddresses/pip-legacy-spare",
        f"{RG}/platform/providers/Microsoft.Network/publicIPAddresses/pip-agw-edge",
    ),
    "azure.security.defender_servers_file_integrity_monitoring": (f"{SECURITY}/pricings/VirtualMachines", None),
    "azure.security.defender_servers_agentless_scanning": (None, f"{SECURITY}/pricings/VirtualMachines"),
    "azure.security.defender_endpoint_integration": (None, f"{SECURITY}/settings"),
    "azure.security.contact_attack_path_notifications": (f"{SECURITY}/securityContacts/default", None),
    "azure.monitor.application_insights_configured": (
        None,
        f"/subscriptions/{SUB}/providers/Microsoft.Insights/components",
    ),
    "azure.monitor.activity_log_storage_cmk": (
        f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management",
        None,
    ),
    "azure.security.defender_iot_hub": (
        f"{RG}/legacy/providers/Microsoft.Devices/IotHubs/iot-legacy/providers/Microsoft.Security/iotSecuritySolutions",
        f"{RG}/platform/providers/Microsoft.Devices/IotHubs/iot-factory/providers/Microsoft.Security/iotSecuritySolutions",
    ),
    "azure.security.system_updates_checked": (
        None,
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments",
    ),
    "azure.security.defender_easm_workspace": (f"/subscriptions/{SUB}/providers/Microsoft.Easm/workspaces", None),
    "azure.security.benchmark_policies_not_disabled": (
        None,
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/policyAssignments",
    ),
    "azure.authorization.lock_admin_custom_role": (
        None,
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments",
    ),
}


def add_account(emulator: ArmEmulator, name: str = "azure-prod") -> None:
    call_command(
        "accounts", "add", "azure", "--name", name, "--resource-manager-url", emulator.url,
        "--access-token", TOKEN, "--subscription-id", SUB,
    )  # fmt: skip


def export(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    out = tmp_path / "findings.json"
    call_command("findings", "export", "--format", "json", "--output", str(out), *args)
    return json.loads(out.read_text())


def test_testing_an_account_whose_subscription_has_no_id_says_so() -> None:
    estate = demo_estate()
    del estate["subscriptions"][0]["subscriptionId"]  # an IntegrityError (external_id NULL) before
    with ArmEmulator(estate, token=TOKEN) as emulator:
        call_command(
            "accounts", "add", "azure", "--name", "azure-noid", "--resource-manager-url", emulator.url,
            "--access-token", TOKEN,
        )  # fmt: skip
        with pytest.raises(CommandError, match="the subscription answer has no id"):
            call_command("accounts", "test", "azure-noid")
    assert CloudAccount.objects.get(name="azure-noid").external_id == ""


def test_scan_a_subscription_and_export_its_findings(emulator: ArmEmulator, tmp_path: Path, capsys) -> None:
    add_account(emulator)
    call_command("accounts", "test", "azure-prod")
    assert CloudAccount.objects.get(name="azure-prod").external_id == SUB
    call_command("scan", "azure-prod")
    scan = Scan.objects.get()
    assert scan.state == "succeeded", (scan.errors, scan.message)
    assert scan.counts["resources"] == 80  # 76 resources (2 user-assigned identities, 2 VMs, 2 NICs), 4 ACR image scans

    findings = export(tmp_path)
    status = {(f["rule"], f["resource"]["uid"]): f["status"] for f in findings}
    failing = {key for key, value in status.items() if value == "FAIL"}
    assert failing >= EXPECTED_FAILURES, sorted(EXPECTED_FAILURES - failing)
    assert all(status[key] == "PASS" for key in EXPECTED_PASSES)
    for rule, (failing_uid, passing_uid) in MANAGEMENT_VERDICTS.items():
        assert failing_uid is None or status[(rule, failing_uid)] == "FAIL", (rule, failing_uid)
        assert passing_uid is None or status[(rule, passing_uid)] == "PASS", (rule, passing_uid)
    assert not [f for f in findings if f["status"] == "ERROR"]
    for finding in findings:
        assert finding["message"] and finding["evidence"], finding["rule"]
        assert finding["resource"]["uid"].startswith((f"/subscriptions/{SUB}/", f"/tenants/{TENANT}"))
    rdp = next(f for f in findings if f["rule"] == "azure.network.nsg_rdp_not_open" and f["status"] == "FAIL")
    assert rdp["evidence"][0]["path"] == "properties.securityRules.0"
    assert rdp["evidence"][0]["value"]["sourceAddressPrefix"] == "*"
    assert {"framework": "cis-azure-foundations-6.0", "control": "7.1"} in rdp["controls"]
    audit = next(f for f in findings if f["rule"] == "azure.aks.kube_audit_logs_exported")
    assert {"framework": "cis-aks-1.8", "control": "2.1.1"} in audit["controls"]

    aks_only = export(tmp_path, "--framework", "cis-aks-1.8", "--status", "FAIL")
    assert aks_only and all(f["status"] == "FAIL" for f in aks_only)
    assert {f["rule"].split(".")[1] for f in aks_only} <= {"aks", "acr", "security"}


def test_later_scans_show_fixes_and_regressions(emulator: ArmEmulator) -> None:
    add_account(emulator)
    call_command("scan", "azure-prod")
    emulator.load(demo_estate(step=1))
    call_command("scan", "azure-prod")
    emulator.load(demo_estate(step=2))
    call_command("scan", "azure-prod")
    _, fixed, regressed = Scan.objects.order_by("pk")
    assert fixed.counts["transitions"] == {"resolved": 5}
    assert fixed.counts["resources_changed"] == 4  # the account, its two containers (account view), the cluster
    assert regressed.counts["transitions"] == {"opened": 3}  # they passed before and never failed: a first failure
    opened = FindingEvent.objects.filter(kind="opened", scan=regressed)
    assert sorted(opened.values_list("finding__rule_id", "finding__resource__name")) == [
        ("azure.keyvault.public_network_access_disabled", "kv-prod"),
        ("azure.network.key_vault_in_security_perimeter", "kv-prod"),  # public now, and in no perimeter
        ("azure.network.nsg_rdp_not_open", "nsg-app"),
    ]
    resolved = FindingEvent.objects.filter(kind="resolved", scan=fixed)
    assert sorted(resolved.values_list("finding__rule_id", flat=True)) == [
        "azure.aks.network_policy_set",
        "azure.storage.blob_anonymous_access_disabled",
        "azure.storage.container_not_public",
        "azure.storage.minimum_tls_12",
        "azure.storage.secure_transfer_required",
    ]


def test_frameworks_show_coverage_for_both_benchmarks(capsys) -> None:
    call_command("frameworks", "list", "--format", "json")
    listed = {fw["id"]: fw for fw in json.loads(capsys.readouterr().out)}
    assert {"cis-azure-foundations-6.0", "cis-aks-1.8"} <= set(listed)
    call_command("frameworks", "show", "cis-azure-foundations-6.0", "--format", "json")
    shown = json.dumps(json.loads(capsys.readouterr().out))
    assert "azure.storage.secure_transfer_required" in shown and "azure.monitor.alert_policy_assignment_write" in shown


def test_one_failing_provider_leaves_a_partial_scan_with_the_rest_intact(emulator: ArmEmulator, tmp_path: Path) -> None:
    add_account(emulator)
    emulator.fail("Microsoft.Security", 500)
    call_command("scan", "azure-prod")
    scan = Scan.objects.get()
    assert scan.state == "partial"
    assert [(e["service"], e["kind"]) for e in scan.errors] == [("defender_scans", "error"), ("security", "error")]
    findings = export(tmp_path)
    rules = {f["rule"] for f in findings}
    assert not any(r.startswith("azure.security.") for r in rules)
    failing = {(f["rule"], f["resource"]["uid"]) for f in findings if f["status"] == "FAIL"}
    assert {k for k in EXPECTED_FAILURES if not k[0].startswith("azure.security.")} <= failing


def test_malformed_credentials_fail_before_any_call(emulator: ArmEmulator) -> None:
    with pytest.raises(CommandError, match="without 'Bearer '"):
        call_command(
            "accounts", "add", "azure", "--name", "bad", "--resource-manager-url", emulator.url,
            "--access-token", f"Bearer {TOKEN}",
        )  # fmt: skip
    with pytest.raises(CommandError, match="is not a GUID"):
        call_command("accounts", "add", "azure", "--name", "bad", "--access-token", TOKEN, "--subscription-id", "prod")
    assert not CloudAccount.objects.filter(name="bad").exists()
    assert emulator.requests == []
