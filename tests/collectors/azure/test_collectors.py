"""Every Azure collector through the real management SDKs against the ARM emulator: shapes, paging, faults."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from collectors.azure import PROVIDER
from collectors.azure.common import SubscriptionsFailed, per_subscription, record
from collectors.azure.session import AzureSession, Subscription
from collectors.records import ResourceRecord
from collectors.run import Collection, collect, plan
from emulators.azure import ArmEmulator
from emulators.azure import estate as e
from emulators.azure.demo import SUB, demo_estate
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES, RuleRegistry
from tests.collectors.azure.conftest import TOKEN, target

LEGACY_AKS = (
    f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.ContainerService/managedClusters/aks-legacy"
)
PROD_AKS = f"/subscriptions/{SUB}/resourceGroups/platform/providers/Microsoft.ContainerService/managedClusters/aks-prod"


def run(session: AzureSession, emulator: ArmEmulator) -> Collection:
    return collect(PROVIDER, session, plan(PROVIDER, session, target(emulator)))


def by_uid(collection: Collection) -> dict[str, ResourceRecord]:
    return {r.uid: r for r in collection.records}


def test_every_service_collects_the_demo_subscription(session: AzureSession, emulator: ArmEmulator) -> None:
    result = run(session, emulator)
    assert result.errors == []
    assert {u.service for u in result.units} == {
        "acr",
        "aks",
        "authorization",
        "compute",
        "databricks",
        "defender_scans",
        "entra",
        "keyvault",
        "managedidentity",
        "monitor",
        "network",
        "security",
        "storage",
    }
    counts = Counter(r.type for r in result.records)
    assert counts == {
        "azure.aks.managed_cluster": 2,
        "azure.aks.agent_pool": 4,
        "azure.storage.account": 2,
        "azure.storage.blob_container": 4,
        "azure.network.security_group": 3,
        "azure.network.watcher": 1,
        "azure.network.flow_log": 2,
        "azure.network.virtual_network": 3,
        "azure.network.watcher_coverage": 1,
        "azure.network.application_gateway": 2,
        "azure.network.waf_policy": 2,
        "azure.network.bastion_hosts": 1,
        "azure.monitor.activity_log": 1,
        "azure.monitor.activity_log_alert": 6,
        "azure.authorization.role_assignments": 1,
        "azure.authorization.role_definition": 3,
        "azure.authorization.locks": 1,
        "azure.security.pricing": 12,
        "azure.security.contact": 1,
        "azure.security.settings": 1,
        "azure.security.benchmark_assignments": 1,
        "azure.security.easm_workspaces": 1,
        "azure.security.iot_hub_protection": 2,
        "azure.monitor.application_insights": 1,
        "azure.network.public_ip": 2,
        "azure.network.virtual_network_gateway": 2,
        "azure.network.security_perimeters": 1,
        "azure.keyvault.vault": 2,
        "azure.acr.registry": 2,
        "azure.defender_scans.image_scan": 4,
        "azure.databricks.workspace": 2,
        "azure.entra.tenant": 1,
        "azure.managedidentity.user_assigned": 2,
        "azure.compute.virtual_machine": 2,
        "azure.compute.network_interface": 2,
    }
    records = by_uid(result)
    legacy = records[LEGACY_AKS]
    assert (legacy.name, legacy.region, legacy.service) == ("aks-legacy", "eastus", "aks")
    assert legacy.config["properties"]["networkProfile"]["networkPolicy"] == "none"
    assert [s["name"] for s in legacy.config["_diagnosticSettings"]] == ["metrics-only"]
    pool = records[f"{LEGACY_AKS}/agentPools/batch"]
    assert pool.region == "eastus"
    assert pool.config["properties"]["currentOrchestratorVersion"] == "1.27.7"
    assert pool.config["_cluster"]["currentKubernetesVersion"] == "1.29.9"
    account = records[
        f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata"
    ]
    assert account.config["_blobContainers"] == [
        {"name": "public-assets", "publicAccess": "Container"},
        {"name": "backups", "publicAccess": "None"},
    ]
    assert (
        account.config["_fileServices"]["properties"]["protocolSettings"]["smb"]["versions"] == "SMB2.1;SMB3.0;SMB3.1.1"
    )
    nsg = records[
        f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.Network/networkSecurityGroups/nsg-legacy"
    ]
    assert [r["name"] for r in nsg.config["properties"]["securityRules"]] == ["rdp", "ssh", "dns"]
    assert [f["id"].rsplit("/", 1)[1] for f in nsg.config["_flowLogs"]] == ["fl-nsg-legacy"]
    activity = records[f"/subscriptions/{SUB}/providers/Microsoft.Insights/eventtypes/management"]
    assert len(activity.config["activityLogAlerts"]) == 6
    assert activity.config["diagnosticSettings"][0]["properties"]["logs"][0]["category"] == "Administrative"
    rbac = records[f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments"]
    assert len(rbac.config["roleAssignments"]) == 8  # resource-group and registry scoped ones included
    containers = records[f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/Containers"]
    assert containers.config["properties"]["pricingTier"] == "Standard"
    vault = records[f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy"]
    assert vault.config["properties"]["enableRbacAuthorization"] is False
    assert vault.config["_diagnosticSettings"] == []
    assert account.config["_blobServices"]["properties"]["isVersioningEnabled"] is False
    locks = records[f"/subscriptions/{SUB}/providers/Microsoft.Authorization/locks"].config["locks"]
    assert [(lock["name"], lock["properties"]["level"]) for lock in locks] == [("do-not-delete", "CanNotDelete")]
    servers = records[f"/subscriptions/{SUB}/providers/Microsoft.Security/pricings/VirtualMachines"]
    assert {x["name"]: x["isEnabled"] for x in servers.config["properties"]["extensions"]}[
        "FileIntegrityMonitoring"
    ] == ("False")
    contact = records[f"/subscriptions/{SUB}/providers/Microsoft.Security/securityContacts/default"]
    assert contact.config["properties"]["notificationsSources"] == [{"sourceType": "Alert", "minimalSeverity": "High"}]
    settings = records[f"/subscriptions/{SUB}/providers/Microsoft.Security/settings"].config
    assert [s["name"] for s in settings["settings"]] == ["MCAS", "WDATP", "Sentinel"]
    assert settings["serverVulnerabilityAssessmentsSettings"][0]["properties"]["selectedProvider"] == "MdeTvm"
    gateway = records[
        f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.Network/virtualNetworkGateways/vpngw-legacy"
    ]
    assert gateway.config["properties"]["vpnClientConfiguration"]["vpnAuthenticationTypes"] == ["Certificate", "AAD"]
    perimeters = records[f"/subscriptions/{SUB}/providers/Microsoft.Network/networkSecurityPerimeters"].config
    assert [(a["resourceId"].rsplit("/", 1)[1], a["accessMode"]) for a in perimeters["associations"]] == [
        ("stprodlogs", "Enforced")
    ]
    insights = records[f"/subscriptions/{SUB}/providers/Microsoft.Insights/components"].config["components"]
    assert [c["name"] for c in insights] == ["appi-storefront"]


def test_lists_page_through_next_link(session: AzureSession, emulator: ArmEmulator) -> None:
    run(session, emulator)
    pages = [path for _, path in emulator.requests if "activityLogAlerts" in path]
    assert len(pages) == 2 and "$skiptoken=3" in pages[1] and "api-version=" in pages[1]
    assert emulator.requests_to("Microsoft.Security/pricings?") == 1  # a PricingList, one body


def test_the_bearer_token_is_sent_and_every_call_carries_an_api_version(emulator: ArmEmulator) -> None:
    # the emulator answers 401 without the exact token, 400 without api-version: a clean run proves both
    session = PROVIDER.connect(target(emulator))
    assert run(session, emulator).errors == []
    assert len(emulator.requests) >= 20
    # Microsoft Graph takes no api-version: its version is in the path
    assert all("api-version=" in path for _, path in emulator.requests if not path.startswith("/graph/"))
    assert all(path.startswith(("/graph/v1.0/", "/graph/beta/")) for _, path in emulator.requests if "/graph/" in path)


@pytest.mark.usefixtures("per_service")
def test_a_429_with_retry_after_is_honoured(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("Microsoft.Storage", 429, retry_after=1, times=1)
    started = time.monotonic()
    result = collect(
        PROVIDER, session, [u for u in plan(PROVIDER, session, target(emulator)) if u.service == "storage"]
    )
    assert result.errors == []
    assert time.monotonic() - started >= 1.0
    assert emulator.requests_to("/providers/Microsoft.Storage/storageAccounts?") == 2
    assert Counter(r.type for r in result.records)["azure.storage.account"] == 2


@pytest.mark.usefixtures("per_service")
def test_one_failing_provider_leaves_the_rest_intact(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("Microsoft.Security", 500)
    emulator.fail("Microsoft.ContainerRegistry", 429, retry_after=0)
    emulator.fail("Microsoft.KeyVault", junk=True)
    result = run(session, emulator)
    kinds = {e.service: e.kind for e in result.errors}
    # the Defender provider down takes its image scan results with it
    assert kinds == {"security": "error", "defender_scans": "error", "acr": "throttled", "keyvault": "invalid_response"}
    assert "500" in next(e.error for e in result.errors if e.service == "security")
    types = {r.type for r in result.records}
    assert "azure.security.pricing" not in types and "azure.acr.registry" not in types
    assert {"azure.aks.managed_cluster", "azure.storage.account", "azure.monitor.activity_log"} <= types


def test_a_failing_secondary_call_is_recorded_on_the_resource(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("Microsoft.Insights", 403)
    result = run(session, emulator)
    assert {(e.service, e.kind) for e in result.errors} == {("monitor", "denied")}
    cluster = by_uid(result)[PROD_AKS]
    assert cluster.config["_diagnosticSettings"] is None
    assert cluster.config["_errors"]["diagnosticSettings"].startswith("access was denied (HttpResponseError")
    assert "HTTP 403" in cluster.config["_errors"]["diagnosticSettings"]
    only = RuleRegistry()
    only.add(RULES.get("azure.aks.kube_audit_logs_exported"))
    verdicts = {r.resource_uid: r.status for r in evaluate(result.records, only)}
    assert verdicts[PROD_AKS] == "ERROR" and verdicts[LEGACY_AKS] == "ERROR"


def test_secrets_never_reach_the_record(emulator: ArmEmulator) -> None:
    estate = demo_estate()
    cluster = e.managed_cluster(
        SUB,
        "win",
        "aks-win",
        servicePrincipalProfile={"clientId": "app", "secret": "sp-SECRET"},
        windowsProfile={"adminUsername": "azureuser", "adminPassword": "win-SECRET"},
    )
    cluster["properties"]["aadProfile"]["serverAppSecret"] = "aad-SECRET"
    estate["resources"].append(cluster)
    emulator.load(estate)
    session = PROVIDER.connect(target(emulator))
    aks = collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target(emulator)) if u.service == "aks"])
    config = by_uid(aks)[cluster["id"]].config
    assert "SECRET" not in json.dumps(config)
    assert config["properties"]["windowsProfile"] == {"adminUsername": "azureuser"}
    assert config["properties"]["servicePrincipalProfile"] == {"clientId": "app"}


def test_regions_narrow_the_scan_to_those_locations(emulator: ArmEmulator) -> None:
    scoped = target(emulator)
    scoped = type(scoped)(
        "azure", "eu", regions=("westeurope",), endpoint_url=emulator.url, credentials=scoped.credentials
    )
    session = PROVIDER.connect(scoped)
    result = collect(PROVIDER, session, plan(PROVIDER, session, scoped))
    regions = {r.region for r in result.records}
    assert regions == {"westeurope", "global"}
    assert LEGACY_AKS not in by_uid(result)


def test_every_subscription_is_walked_and_one_failing_does_not_lose_the_other() -> None:
    subs = [Subscription("sub-a"), Subscription("sub-b"), Subscription("sub-c")]
    session = AzureSession(credential=None, subscriptions=subs)

    def collect_one(sub: Subscription):
        if sub.subscription_id == "sub-b":
            raise PermissionError("403 AuthorizationFailed")
        yield record("acr", "registry", {"id": f"/subscriptions/{sub.subscription_id}/r", "name": "r"})

    got: list[ResourceRecord] = []
    with pytest.raises(SubscriptionsFailed) as caught:
        for item in per_subscription(session, collect_one):
            got.append(item)
    assert [r.uid for r in got] == ["/subscriptions/sub-a/r", "/subscriptions/sub-c/r"]
    assert "sub-b: access was denied (PermissionError)" in str(caught.value)
    assert PROVIDER.classify_error(caught.value) == "denied"


def test_two_subscriptions_are_both_collected() -> None:
    other = "00000000-0000-4000-8000-000000000002"
    estate = demo_estate()
    estate["subscriptions"].append(e.subscription(other, "Staging"))
    estate["resources"].append(e.container_registry(other, "stage", "acrstaging"))
    with ArmEmulator(estate, token=TOKEN) as emulator:
        session = PROVIDER.connect(target(emulator, subscription_id=""))
        result = collect(PROVIDER, session, plan(PROVIDER, session, target(emulator, subscription_id="")))
    assert result.errors == []
    registries = sorted(r.name for r in result.records if r.type == "azure.acr.registry")
    assert registries == ["acrlegacy", "acrprod", "acrstaging"]
    assert sum(1 for r in result.records if r.type == "azure.monitor.activity_log") == 2


def test_unreadable_agent_pools_fall_back_on_the_cluster_profiles(session: AzureSession, emulator: ArmEmulator) -> None:
    emulator.fail("/agentpools", 500)
    emulator.fail("/blobservices/default/containers", 403)
    result = run(session, emulator)
    assert result.errors == []
    records = by_uid(result)
    assert "HTTP 500" in records[LEGACY_AKS].config["_errors"]["agentPools"]
    batch = records[f"{LEGACY_AKS}/agentPools/batch"]
    assert batch.config["properties"]["enableNodePublicIP"] is True
    assert batch.config["_cluster"]["currentKubernetesVersion"] == "1.29.9"
    account = records[
        f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.Storage/storageAccounts/stlegacydata"
    ]
    assert account.config["_errors"] == {"blobContainers": account.config["_errors"]["blobContainers"]}
    assert account.config["_errors"]["blobContainers"].startswith("access was denied")
    assert not [r for r in result.records if r.type == "azure.storage.blob_container"]
