"""Key Vault's data plane and Microsoft Graph: their endpoints and token audiences, a vault or Graph that
refuses Posture (an ERROR that says why, the rest of the scan intact), and paging that stays on its host."""

from __future__ import annotations

from typing import Any

import pytest

from collectors.azure import PROVIDER
from collectors.azure.session import PUBLIC_ARM, AzureSession, UnexpectedNextLink, _origin
from collectors.records import ResourceRecord
from collectors.run import collect, plan
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES, RuleRegistry
from tests.collectors.azure.conftest import TOKEN, target

LEGACY_VAULT = f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.KeyVault/vaults/kv-legacy"
PROD_VAULT = f"/subscriptions/{SUB}/resourceGroups/platform/providers/Microsoft.KeyVault/vaults/kv-prod"
VAULT_RULES = (
    "azure.keyvault.rbac_keys_expire",
    "azure.keyvault.access_policy_keys_expire",
    "azure.keyvault.access_policy_secrets_expire",
    "azure.keyvault.key_rotation_enabled",
    "azure.keyvault.certificate_validity_12_months",
)


def scan(estate: dict[str, Any], *services: str) -> tuple[list[ResourceRecord], list[Any]]:
    with ArmEmulator(estate, token=TOKEN) as emulator:
        session = PROVIDER.connect(target(emulator))
        units = [u for u in plan(PROVIDER, session, target(emulator)) if u.service in services]
        result = collect(PROVIDER, session, units)
    return result.records, result.errors


def verdicts(records: list[ResourceRecord], uid: str, rules: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    only = RuleRegistry()
    for rule_id in rules:
        only.add(RULES.get(rule_id))
    return {r.rule_id: (r.status, r.message) for r in evaluate(records, only) if r.resource_uid == uid}


def test_the_vaults_data_plane_is_read_with_its_attributes_and_policies() -> None:
    records, errors = scan(demo_estate(), "keyvault")
    assert errors == []
    vaults = {r.uid: r.config for r in records}
    legacy, prod = vaults[LEGACY_VAULT], vaults[PROD_VAULT]
    assert "_errors" not in legacy and "_errors" not in prod
    assert [k["kid"].rsplit("/", 1)[1] for k in prod["_keys"]] == ["cmk-storage", "cmk-retired", "tls-web"]
    assert prod["_keys"][0]["_rotationPolicy"]["lifetimeActions"][0]["action"]["type"] == "Rotate"
    # a disabled key and a certificate-backed (managed) key: no rotation policy asked for
    assert "_rotationPolicy" not in prod["_keys"][1] and "_rotationPolicy" not in prod["_keys"][2]
    assert legacy["_certificates"][0]["_policy"]["x509_props"]["validity_months"] == 24
    assert all("value" not in s for s in legacy["_secrets"])  # attributes only, never a secret's value
    found = verdicts(records, LEGACY_VAULT, VAULT_RULES)
    assert {rule: status for rule, (status, _) in found.items()} == {
        "azure.keyvault.access_policy_keys_expire": "FAIL",
        "azure.keyvault.access_policy_secrets_expire": "FAIL",
        "azure.keyvault.key_rotation_enabled": "FAIL",
        "azure.keyvault.certificate_validity_12_months": "FAIL",
    }
    assert {s for s, _ in verdicts(records, PROD_VAULT, VAULT_RULES).values()} == {"PASS"}


@pytest.mark.parametrize(
    ("refuse", "said"),
    [
        ("firewall", "the vault's firewall refused Posture's address (ForbiddenByFirewall, HTTP 403)"),
        ("denied", "the vault uses access policies; give Posture's principal one with keys List"),
    ],
)
def test_a_vault_that_refuses_the_data_plane_is_could_not_read(refuse: str, said: str) -> None:
    estate = demo_estate()
    estate["vault_data"]["kv-legacy"]["refuse"] = refuse
    records, errors = scan(estate, "keyvault")
    assert errors == []  # the vault's own record and the other vault are intact
    legacy = next(r for r in records if r.uid == LEGACY_VAULT)
    assert legacy.config["properties"]["enableRbacAuthorization"] is False
    assert set(legacy.config["_errors"]) == {"keys", "secrets", "certificates"}
    assert said in legacy.config["_errors"]["keys"]
    found = verdicts(records, LEGACY_VAULT, VAULT_RULES)
    assert {status for status, _ in found.values()} == {"ERROR"}
    assert all(message.startswith("the vault's ") and "could not be read" in message for _, message in found.values())
    prod = next(r for r in records if r.uid == PROD_VAULT)
    assert "_errors" not in prod.config


def test_an_rbac_vault_without_a_data_plane_role_names_the_data_action() -> None:
    estate = demo_estate()
    estate["vault_data"]["kv-prod"]["refuse"] = "denied"
    records, _ = scan(estate, "keyvault")
    prod = next(r for r in records if r.uid == PROD_VAULT)
    assert "HTTP 403" in prod.config["_errors"]["keys"]
    assert "the credentials lack Microsoft.KeyVault/vaults/keys/read" in prod.config["_errors"]["keys"]
    assert "Microsoft.KeyVault/vaults/secrets/readMetadata/action" in prod.config["_errors"]["secrets"]


def test_graph_refusing_one_permission_keeps_the_other_answers() -> None:
    estate = demo_estate()
    estate["graph"]["denied"] = ["/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"]
    records, errors = scan(estate, "entra")
    assert errors == []
    (tenant,) = records
    assert tenant.uid == "/tenants/72f988bf-0000-4000-8000-00000000c0de"
    problem = tenant.config["_errors"]["securityDefaults"]
    assert "Authorization_RequestDenied" in problem and "HTTP 403" in problem
    assert "the credentials lack Policy.Read.All" in problem
    assert tenant.config["deviceRegistrationPolicy"]["multiFactorAuthConfiguration"] == "notRequired"
    assert tenant.config["userRegistration"]["members"] == 3
    assert [u["userPrincipalName"] for u in tenant.config["userRegistration"]["membersWithoutMfa"]] == [
        "legacy.batch@contoso.com"
    ]
    assert tenant.config["diagnosticSettings"][0]["name"] == "entra-to-sentinel"
    assert [g["userPrincipalName"].split("_")[0] for g in tenant.config["guests"]] == ["partner", "auditor"]
    assert [a["principalId"] for a in tenant.config["tenantCreators"]] == ["a1000000-0000-4000-8000-000000000005"]
    # Graph's $filter picked the disabled accounts alone
    assert [u["userPrincipalName"] for u in tenant.config["disabledUsers"]] == [
        "former.ops@contoso.com",
        "former.dev@contoso.com",
    ]
    found = verdicts(
        records, tenant.uid, ("azure.entra.security_defaults_enabled", "azure.entra.mfa_registered_all_members")
    )
    assert found["azure.entra.security_defaults_enabled"][0] == "ERROR"
    assert found["azure.entra.mfa_registered_all_members"][0] == "FAIL"


def test_databricks_workspaces_are_listed_with_their_diagnostic_settings() -> None:
    records, errors = scan(demo_estate(), "databricks")
    assert errors == []
    by_name = {r.name: r for r in records}
    assert set(by_name) == {"dbw-prod", "dbw-legacy"}
    assert by_name["dbw-legacy"].region == "eastus"
    assert by_name["dbw-prod"].config["properties"]["parameters"]["customPublicSubnetName"]["value"] == "dbx-host"
    assert [s["name"] for s in by_name["dbw-prod"].config["_diagnosticSettings"]] == ["dbx-logs"]


def session_at(url: str) -> AzureSession:
    return AzureSession(credential=None, base_url=url)


def test_each_cloud_has_its_own_key_vault_and_graph_hosts_and_audiences() -> None:
    public = session_at(PUBLIC_ARM)
    assert public.vault_url("KV-Prod") == "https://kv-prod.vault.azure.net"
    assert (public.vault_scope, public.graph_scope) == (
        "https://vault.azure.net/.default",
        "https://graph.microsoft.com/.default",
    )
    gov = session_at("https://management.usgovcloudapi.net")
    assert gov.vault_url("kv1") == "https://kv1.vault.usgovcloudapi.net"
    assert gov.graph_root == "https://graph.microsoft.us"
    china = session_at("https://management.chinacloudapi.cn")
    assert (china.vault_url("kv1"), china.graph_root) == (
        "https://kv1.vault.azure.cn",
        "https://microsoftgraph.chinacloudapi.cn",
    )
    emulator = session_at("http://127.0.0.1:8080")
    assert emulator.vault_url("kv-prod") == "http://127.0.0.1:8080/keyvault/kv-prod"
    assert emulator.graph_root == "http://127.0.0.1:8080/graph"


@pytest.mark.parametrize("name", ["", "kv", "a" * 25, "kv.evil.com", "kv/../x", "-kv-", "kv prod"])
def test_a_vault_name_that_is_not_one_never_becomes_a_url(name: str) -> None:
    with pytest.raises(ValueError, match="is not a Key Vault name"):
        session_at(PUBLIC_ARM).vault_url(name)


def test_paging_stays_on_the_listings_host() -> None:
    assert _origin("https://kv.vault.azure.net:443/keys?$skiptoken=x") == _origin("https://kv.vault.azure.net/keys")
    assert _origin("https://kv.vault.azure.net.evil.com/keys") != _origin("https://kv.vault.azure.net/keys")
    estate = demo_estate()
    estate["graph"]["/v1.0/identity/conditionalAccess/policies"] = {
        "value": [],
        "@odata.nextLink": "https://graph.evil.example/v1.0/identity/conditionalAccess/policies?$skiptoken=1",
    }
    records, errors = scan(estate, "entra")
    assert errors == []
    problem = records[0].config["_errors"]["conditionalAccessPolicies"]
    assert problem == str(UnexpectedNextLink())


def test_a_resource_manager_token_refused_by_graph_says_it_is_the_wrong_audience() -> None:
    from azure.core.exceptions import ClientAuthenticationError

    from collectors.azure.credentials import StaticTokenCredential
    from collectors.azure.session import WrongAudience

    with ArmEmulator(demo_estate(), token=TOKEN) as emulator:
        session = AzureSession(
            credential=StaticTokenCredential("another-token-for-arm", 4_102_444_800), base_url=emulator.url
        )
        with pytest.raises(WrongAudience, match=r"takes tokens for https://graph\.microsoft\.com"):
            session.rest("graph").get(f"{session.graph_root}/v1.0/policies/identitySecurityDefaultsEnforcementPolicy")
        with pytest.raises(ClientAuthenticationError):  # Resource Manager's own 401 stays what it is
            session.rest("arm").get(f"{emulator.url}/subscriptions", {"api-version": "2022-12-01"})
