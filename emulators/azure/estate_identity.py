"""Key Vault's data plane, Microsoft Entra ID (Graph and its diagnostic settings) and Azure Databricks, for the
demo subscription: objects in the REST APIs' own shapes (Key Vault 7.5, Graph v1.0/beta,
Microsoft.Databricks 2024-05-01, microsoft.aadiam 2017-04-01), served by :mod:`emulators.azure.data_planes`
and the ARM emulator.

What is wrong on purpose:

- ``kv-legacy`` (access policies): a key without expiry or rotation policy, a secret without expiry, a
  certificate valid 24 months; ``kv-prod`` (RBAC) keeps all three right, beside a disabled key without expiry
  and a certificate-backed (managed) secret;
- Entra ID: security defaults off (Conditional Access requires MFA of every user instead), a member user
  without MFA (who holds User Access Administrator), device join without MFA, a disabled user still Owner of
  a resource group, a guest inactive since 2024, Graph activity logs not exported, Intune's operational and
  compliance logs not exported (its audit logs are);
- Databricks ``dbw-legacy``: Databricks-managed VNet, public IPs, public network access, no private endpoint,
  no diagnostic setting, Microsoft-managed keys, no Unity Catalog; ``dbw-prod`` does all of it right.
"""

from __future__ import annotations

import zlib
from typing import Any

from emulators.azure import estate as e
from emulators.azure import estate_governance as gov
from emulators.azure import estate_network as net

NOW = 1_764_720_000  # 2025-12-03, seconds: Key Vault's attribute times are Unix seconds
DAY = 86_400
TENANT_GRAPH = "https://graph.microsoft.com/v1.0/$metadata"


def _attributes(exp: int | None = None, enabled: bool = True, **extra: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "enabled": enabled,
        "created": NOW - 200 * DAY,
        "updated": NOW - 30 * DAY,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
        **extra,
    }
    if exp is not None:
        attributes["exp"] = exp
    return attributes


def key_item(
    vault: str, name: str, *, exp: int | None = None, enabled: bool = True, managed: bool = False
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kid": f"https://{vault}.vault.azure.net/keys/{name}",
        "attributes": _attributes(exp, enabled),
        "tags": {},
    }
    if managed:
        item["managed"] = True
    return item


def secret_item(vault: str, name: str, *, exp: int | None = None, managed: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"https://{vault}.vault.azure.net/secrets/{name}",
        "attributes": _attributes(exp),
        "tags": {},
        "contentType": "application/x-pkcs12" if managed else "text/plain",
    }
    if managed:
        item["managed"] = True
    return item


def certificate_item(vault: str, name: str, months: int) -> dict[str, Any]:
    return {
        "id": f"https://{vault}.vault.azure.net/certificates/{name}",
        "x5t": "fLi3U52HunIVNXubkEnf8tP6Wbo",
        "attributes": _attributes(NOW + months * 30 * DAY, nbf=NOW - 30 * DAY),
        "tags": {},
        "subject": "",
    }


def rotation_policy(vault: str, key: str, rotate_after: str = "") -> dict[str, Any]:
    """A key's rotation policy; without ``rotate_after``, the default one (notify 30 days before expiry)."""
    actions: list[dict[str, Any]] = [{"trigger": {"timeBeforeExpiry": "P30D"}, "action": {"type": "Notify"}}]
    if rotate_after:
        actions.insert(0, {"trigger": {"timeAfterCreate": rotate_after}, "action": {"type": "Rotate"}})
    policy: dict[str, Any] = {
        "id": f"https://{vault}.vault.azure.net/keys/{key}/rotationpolicy",
        "lifetimeActions": actions,
        "attributes": {"expiryTime": "P2Y", "created": NOW - 200 * DAY, "updated": NOW - 30 * DAY}
        if rotate_after
        else {},
    }
    return policy


def certificate_policy(vault: str, name: str, months: int) -> dict[str, Any]:
    return {
        "id": f"https://{vault}.vault.azure.net/certificates/{name}/policy",
        "key_props": {"exportable": True, "kty": "RSA", "key_size": 2048, "reuse_key": False},
        "secret_props": {"contentType": "application/x-pkcs12"},
        "x509_props": {
            "subject": f"CN={name}.contoso.com",
            "sans": {"dns_names": [f"{name}.contoso.com"]},
            "ekus": ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
            "key_usage": ["digitalSignature", "keyEncipherment"],
            "validity_months": months,
            "basic_constraints": {"ca": False},
        },
        "lifetime_actions": [{"trigger": {"lifetime_percentage": 80}, "action": {"action_type": "AutoRenew"}}],
        "issuer": {"name": "Self"},
        "attributes": {"enabled": True, "created": NOW - 200 * DAY, "updated": NOW - 30 * DAY},
    }


def vault_data() -> dict[str, Any]:
    year = NOW + 365 * DAY
    return {
        "kv-prod": {
            "keys": [
                key_item("kv-prod", "cmk-storage", exp=year),
                key_item("kv-prod", "cmk-retired", enabled=False),
                key_item("kv-prod", "tls-web", exp=year, managed=True),
            ],
            "rotation_policies": {"cmk-storage": rotation_policy("kv-prod", "cmk-storage", "P90D")},
            "secrets": [
                secret_item("kv-prod", "db-password", exp=NOW + 90 * DAY),
                secret_item("kv-prod", "tls-web", exp=year, managed=True),
            ],
            "certificates": [certificate_item("kv-prod", "tls-web", 12)],
            "certificate_policies": {"tls-web": certificate_policy("kv-prod", "tls-web", 12)},
        },
        "kv-legacy": {
            "keys": [key_item("kv-legacy", "app-key")],
            "rotation_policies": {"app-key": rotation_policy("kv-legacy", "app-key")},
            "secrets": [secret_item("kv-legacy", "api-token")],
            "certificates": [certificate_item("kv-legacy", "legacy-tls", 24)],
            "certificate_policies": {"legacy-tls": certificate_policy("kv-legacy", "legacy-tls", 24)},
        },
    }


def user_details(
    upn: str, *, mfa: bool, user_type: str = "member", admin: bool = False, number: int = 0
) -> dict[str, Any]:
    """A row of the registration report; ``number`` is the user's in the demo's role assignments (``a1000000-...``)."""
    methods = ["microsoftAuthenticatorPush", "softwareOneTimePasscode"] if mfa else ["email"]
    return {
        "id": f"a1000000-0000-4000-8000-{number or zlib.crc32(upn.encode()):012d}",
        "userPrincipalName": upn,
        "userDisplayName": upn.split("@")[0].replace(".", " ").title(),
        "userType": user_type,
        "isAdmin": admin,
        "isSsprRegistered": mfa,
        "isSsprEnabled": True,
        "isSsprCapable": mfa,
        "isMfaRegistered": mfa,
        "isMfaCapable": mfa,
        "isPasswordlessCapable": False,
        "methodsRegistered": methods,
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "systemPreferredAuthenticationMethods": ["push"] if mfa else [],
        "userPreferredMethodForSecondaryAuthentication": "push" if mfa else "none",
        "lastUpdatedDateTime": "2025-12-01T08:00:00Z",
    }


def graph_user(number: int, upn: str, *, enabled: bool = True, guest: bool = False, last: str = "") -> dict[str, Any]:
    """A Graph user as ``$select=id,userPrincipalName,userType,accountEnabled,createdDateTime,signInActivity``
    returns it (signInActivity only where the report has one)."""
    user: dict[str, Any] = {
        "id": f"a1000000-0000-4000-8000-{number:012d}",
        "userPrincipalName": upn,
        "userType": "Guest" if guest else "Member",
        "accountEnabled": enabled,
        "createdDateTime": "2023-11-20T09:00:00Z",
    }
    if last:
        user["signInActivity"] = {
            "lastSignInDateTime": last,
            "lastNonInteractiveSignInDateTime": None,
            "lastSuccessfulSignInDateTime": last,
        }
    return user


def conditional_access_policy(name: str, *, state: str = "enabled", users: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": "b2000000-0000-4000-8000-000000000001",
        "templateId": None,
        "displayName": name,
        "createdDateTime": "2025-01-10T09:00:00Z",
        "modifiedDateTime": "2025-06-01T09:00:00Z",
        "state": state,
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": [],
            "clientAppTypes": ["all"],
            "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
            "users": {
                "includeUsers": users or ["All"],
                "excludeUsers": [],
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": [],
                "excludeRoles": [],
            },
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": []},
        "sessionControls": None,
    }


def graph() -> dict[str, Any]:
    return {
        "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy": {
            "@odata.context": f"{TENANT_GRAPH}#policies/identitySecurityDefaultsEnforcementPolicy/$entity",
            "id": "00000000-0000-0000-0000-000000000005",
            "displayName": "Security Defaults",
            "description": "Security defaults is a set of basic identity security mechanisms recommended by Microsoft.",
            "isEnabled": False,
        },
        "/v1.0/identity/conditionalAccess/policies": [conditional_access_policy("Require MFA for all users")],
        "/beta/policies/deviceRegistrationPolicy": {
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#policies/deviceRegistrationPolicy/$entity",
            "id": "deviceRegistrationPolicy",
            "displayName": "Device Registration Policy",
            "description": "Tenant-wide policy that manages initial provisioning controls.",
            "userDeviceQuota": 50,
            "multiFactorAuthConfiguration": "notRequired",
            "azureADRegistration": {
                "isAdminConfigurable": False,
                "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"},
            },
            "azureADJoin": {
                "isAdminConfigurable": True,
                "allowedToJoin": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"},
            },
            "localAdminPassword": {"isEnabled": True},
        },
        "/v1.0/policies/authorizationPolicy": {
            "@odata.context": f"{TENANT_GRAPH}#policies/authorizationPolicy/$entity",
            "id": "authorizationPolicy",
            "displayName": "Authorization Policy",
            "description": "Used to manage authorization related settings across the company.",
            "allowInvitesFrom": "adminsAndGuestInviters",
            "allowedToSignUpEmailBasedSubscriptions": False,
            "allowedToUseSSPR": True,
            "allowEmailVerifiedUsersToJoinOrganization": False,
            "blockMsolPowerShell": True,
            "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
            "defaultUserRolePermissions": {
                "allowedToCreateApps": False,
                "allowedToCreateSecurityGroups": False,
                "allowedToCreateTenants": False,
                "allowedToReadBitlockerKeysForOwnedDevice": True,
                "allowedToReadOtherUsers": True,
                "permissionGrantPoliciesAssigned": ["ManagePermissionGrantsForSelf.microsoft-user-default-low"],
            },
        },
        "/v1.0/roleManagement/directory/roleAssignments": [
            {
                "id": "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1",
                "principalId": "a1000000-0000-4000-8000-000000000001",
                "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
                "directoryScopeId": "/",
            },
            {
                "id": "oqEsEq0VAkGZXkWwvEeaakQ8-3W8sS9Eg6YdUjdgDPE-1",
                "principalId": "a1000000-0000-4000-8000-000000000005",
                "roleDefinitionId": "112ca1a2-15ad-4102-995e-45b0bc479a6a",  # Tenant Creator
                "directoryScopeId": "/",
            },
        ],
        "/v1.0/users": [
            graph_user(1, "admin@contoso.com"),
            # left the company, still Owner of the platform resource group
            graph_user(4, "former.ops@contoso.com", enabled=False),
            graph_user(9, "former.dev@contoso.com", enabled=False),
            # a partner's guest who has not signed in since early 2024, and one who signs in daily
            graph_user(
                21, "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", guest=True, last="2024-03-02T10:00:00Z"
            ),
            graph_user(22, "auditor_kpmg.com#EXT#@contoso.onmicrosoft.com", guest=True, last="2999-01-01T00:00:00Z"),
        ],
        "/v1.0/reports/authenticationMethods/userRegistrationDetails": [
            user_details("admin@contoso.com", mfa=True, admin=True, number=1),
            user_details("dev.one@contoso.com", mfa=True),
            # the standing User Access Administrator of the subscription, without MFA
            user_details("legacy.batch@contoso.com", mfa=False, number=2),
            user_details("partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", mfa=False, user_type="guest"),
        ],
    }


def entra_diagnostic_setting(
    name: str, categories: list[str], workspace: str, provider: str = "microsoft.aadiam"
) -> dict[str, Any]:
    """A tenant-wide diagnostic setting of Entra ID (``microsoft.aadiam``) or Intune (``microsoft.intune``)."""
    return {
        "id": f"/providers/{provider}/diagnosticSettings/{name}",
        "name": name,
        "type": f"{provider}/diagnosticSettings",
        "properties": {
            "storageAccountId": None,
            "serviceBusRuleId": None,
            "workspaceId": workspace,
            "eventHubAuthorizationRuleId": None,
            "eventHubName": None,
            "metrics": [],
            "logs": [
                {"category": c, "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}} for c in categories
            ],
        },
    }


def databricks_workspace(sub: str, rg: str, name: str, location: str = "westeurope", **props: Any) -> dict[str, Any]:
    wid = f"{e.rg_id(sub, rg)}/providers/Microsoft.Databricks/workspaces/{name}"
    base: dict[str, Any] = {
        "managedResourceGroupId": f"{e.rg_id(sub, 'databricks-rg-' + name)}",
        "parameters": {
            "enableNoPublicIp": {"type": "Bool", "value": True},
            "prepareEncryption": {"type": "Bool", "value": False},
            "requireInfrastructureEncryption": {"type": "Bool", "value": False},
            "storageAccountName": {"type": "String", "value": f"dbstorage{zlib.crc32(name.encode()) % 10**8:08d}"},
            "storageAccountSkuName": {"type": "String", "value": "Standard_GRS"},
        },
        "provisioningState": "Succeeded",
        "authorizations": [
            {
                "principalId": "9a74af6f-d153-4348-988a-e2672920bee9",
                "roleDefinitionId": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
            }
        ],
        "createdDateTime": "2025-02-20T00:10:29.2858439Z",
        "workspaceId": "5555555555555555",
        "workspaceUrl": "adb-5555555555555555.19.azuredatabricks.net",
        "privateEndpointConnections": [],
        "publicNetworkAccess": "Enabled",
        "requiredNsgRules": "AllRules",
        "isUcEnabled": True,
    }
    return {
        "id": wid,
        "name": name,
        "type": "Microsoft.Databricks/workspaces",
        "location": location,
        "tags": {},
        "sku": {"name": "premium"},
        "properties": e.merge(base, props),
    }


def _databricks(sub: str, workspace_logs: str, nsg: str) -> list[dict[str, Any]]:
    vnet = net.virtual_network(sub, "platform", "vnet-dbx", subnets={"dbx-host": nsg, "dbx-container": nsg})
    prod = databricks_workspace(
        sub,
        "platform",
        "dbw-prod",
        publicNetworkAccess="Disabled",
        requiredNsgRules="NoAzureDatabricksRules",
        parameters={
            "customVirtualNetworkId": {"type": "String", "value": vnet["id"]},
            "customPublicSubnetName": {"type": "String", "value": "dbx-host"},
            "customPrivateSubnetName": {"type": "String", "value": "dbx-container"},
        },
        encryption={
            "entities": {
                "managedServices": {
                    "keySource": "Microsoft.Keyvault",
                    "keyVaultProperties": {
                        "keyVaultUri": "https://kv-prod.vault.azure.net/",
                        "keyName": "cmk-storage",
                        "keyVersion": "0123456789abcdef0123456789abcdef",
                    },
                }
            }
        },
    )
    pe = e.private_endpoint_connection(prod["id"], "dbw-prod.pe-ui")
    pe["name"], pe["type"] = "dbw-prod.pe-ui", "Microsoft.Databricks/workspaces/privateEndpointConnections"
    prod["properties"]["privateEndpointConnections"] = [pe]
    legacy = databricks_workspace(
        sub,
        "legacy",
        "dbw-legacy",
        "eastus",
        isUcEnabled=False,
        parameters={"enableNoPublicIp": {"type": "Bool", "value": False}},
    )
    logs = gov.diagnostic_setting(prod["id"], "dbx-logs", [], group="allLogs", workspace=workspace_logs)
    return [vnet, prod, legacy, logs]


def extend(estate: dict[str, Any], sub: str, workspace_logs: str, nsg: str) -> dict[str, Any]:
    """``estate`` with the Key Vault data planes, Graph, Entra ID's diagnostic settings and Databricks added."""
    estate["resources"] += _databricks(sub, workspace_logs, nsg)
    estate["resources"].append(
        entra_diagnostic_setting(
            "entra-to-sentinel",
            [
                "AuditLogs",
                "SignInLogs",
                "NonInteractiveUserSignInLogs",
                "ServicePrincipalSignInLogs",
                "ManagedIdentitySignInLogs",
            ],
            workspace_logs,
        )
    )
    estate["resources"].append(
        entra_diagnostic_setting("intune-audit", ["AuditLogs"], workspace_logs, provider="microsoft.intune")
    )
    estate["vault_data"] = vault_data()
    estate["graph"] = graph()
    return estate
