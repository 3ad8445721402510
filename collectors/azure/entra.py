"""Microsoft Entra ID: the tenant's sign-in protections through Microsoft Graph, and its diagnostic settings.

One ``azure.entra.tenant`` record (uid ``/tenants/{tenant id}``) per scan holds what each API answered:

- ``securityDefaults``: ``GET /v1.0/policies/identitySecurityDefaultsEnforcementPolicy`` (Policy.Read.All);
- ``conditionalAccessPolicies``: ``GET /v1.0/identity/conditionalAccess/policies`` (Policy.Read.All);
- ``deviceRegistrationPolicy``: ``GET /beta/policies/deviceRegistrationPolicy`` (Policy.Read.DeviceConfiguration);
- ``authorizationPolicy``: ``GET /v1.0/policies/authorizationPolicy`` (Policy.Read.All): what every user may
  do by default (create tenants, apps, security groups; invite guests);
- ``tenantCreators``: ``GET /v1.0/roleManagement/directory/roleAssignments`` of the Tenant Creator role
  (RoleManagement.Read.Directory);
- ``userRegistration``: from ``GET /v1.0/reports/authenticationMethods/userRegistrationDetails``
  (AuditLog.Read.All; Entra ID P1): how many member and guest users it lists, and the members without a
  registered MFA method (their id, user principal name, ``isAdmin``);
- ``disabledUsers``: ``GET /v1.0/users?$filter=accountEnabled eq false`` (User.Read.All): their id and user
  principal name, for the rule that looks for their role assignments;
- ``guests``: ``GET /v1.0/users?$filter=userType eq 'Guest'`` with their creation and last sign-in times
  (``signInActivity``: AuditLog.Read.All, Entra ID P1);
- ``diagnosticSettings``: ``GET /providers/microsoft.aadiam/diagnosticSettings`` on Resource Manager;
- ``intuneDiagnosticSettings``: ``GET /providers/microsoft.intune/diagnosticSettings`` on Resource Manager
  (the tenant's Intune logs).

Graph has its own token audience (``https://graph.microsoft.com``): a token without a permission gets 403,
which lands in ``_errors`` under that key, naming the permission, and the other answers are kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.azure.common import record, scrub, secondary
from collectors.azure.session import AzureSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

AADIAM_API = {"api-version": "2017-04-01"}
INTUNE_API = {"api-version": "2017-04-01-preview"}
DISABLED_USERS = {"$filter": "accountEnabled eq false", "$select": "id,userPrincipalName,accountEnabled"}
GUESTS = {
    "$filter": "userType eq 'Guest'",
    "$select": "id,userPrincipalName,userType,accountEnabled,createdDateTime,signInActivity",
}
GUEST_FIELDS = ("id", "userPrincipalName", "accountEnabled", "createdDateTime", "signInActivity")
TENANT_CREATOR = "112ca1a2-15ad-4102-995e-45b0bc479a6a"  # the built-in Tenant Creator role's template id
TENANT_CREATORS = {"$filter": f"roleDefinitionId eq '{TENANT_CREATOR}'"}
MFA_FIELDS = ("id", "userPrincipalName", "userDisplayName", "isAdmin", "isMfaRegistered", "isMfaCapable")


def user_registration(details: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts of member and guest users, and the members without a registered MFA method."""
    members = [u for u in details if str(u.get("userType") or "").lower() == "member"]
    return {
        "members": len(members),
        "guests": sum(1 for u in details if str(u.get("userType") or "").lower() == "guest"),
        "membersWithoutMfa": [
            {k: u.get(k) for k in MFA_FIELDS} for u in members if u.get("isMfaRegistered") is not True
        ],
    }


def tenant_record(session: AzureSession, tenant: str) -> ResourceRecord:
    graph, arm = session.rest("graph"), session.rest("arm")
    root = session.graph_root
    errors: dict[str, str] = {}

    def read(key: str, path: str) -> Any:
        return secondary(errors, key, lambda: scrub(graph.get(f"{root}{path}")))

    config: dict[str, Any] = {
        "id": f"/tenants/{tenant}",
        "name": f"Microsoft Entra ID tenant {tenant}",
        "tenantId": tenant,
        "securityDefaults": read("securityDefaults", "/v1.0/policies/identitySecurityDefaultsEnforcementPolicy"),
        "conditionalAccessPolicies": secondary(
            errors,
            "conditionalAccessPolicies",
            lambda: scrub(graph.list(f"{root}/v1.0/identity/conditionalAccess/policies", next_key="@odata.nextLink")),
        ),
        "deviceRegistrationPolicy": read("deviceRegistrationPolicy", "/beta/policies/deviceRegistrationPolicy"),
        "authorizationPolicy": read("authorizationPolicy", "/v1.0/policies/authorizationPolicy"),
        "tenantCreators": secondary(
            errors,
            "tenantCreators",
            lambda: [
                {k: a.get(k) for k in ("id", "principalId", "roleDefinitionId", "directoryScopeId")}
                for a in graph.list(
                    f"{root}/v1.0/roleManagement/directory/roleAssignments", TENANT_CREATORS, "@odata.nextLink"
                )
            ],
        ),
    }
    details = secondary(
        errors,
        "userRegistration",
        lambda: graph.list(
            f"{root}/v1.0/reports/authenticationMethods/userRegistrationDetails", next_key="@odata.nextLink"
        ),
    )
    config["userRegistration"] = None if details is None else user_registration(details)
    config["disabledUsers"] = secondary(
        errors,
        "disabledUsers",
        lambda: [
            {k: u.get(k) for k in ("id", "userPrincipalName", "accountEnabled")}
            for u in graph.list(f"{root}/v1.0/users", DISABLED_USERS, next_key="@odata.nextLink")
        ],
    )
    config["guests"] = secondary(
        errors,
        "guests",
        lambda: [
            {k: u.get(k) for k in GUEST_FIELDS}
            for u in graph.list(f"{root}/v1.0/users", GUESTS, next_key="@odata.nextLink")
        ],
    )
    config["diagnosticSettings"] = secondary(
        errors,
        "diagnosticSettings",
        lambda: scrub(arm.list(f"{session.base_url}/providers/microsoft.aadiam/diagnosticSettings", AADIAM_API)),
    )
    config["intuneDiagnosticSettings"] = secondary(
        errors,
        "intuneDiagnosticSettings",
        lambda: scrub(arm.list(f"{session.base_url}/providers/microsoft.intune/diagnosticSettings", INTUNE_API)),
    )
    if errors:
        config["_errors"] = errors
    return record("entra", "tenant", config)


@REGISTRY.collector(
    "azure",
    "entra",
    regional=False,
    permissions=(
        "Policy.Read.All",
        "Policy.Read.DeviceConfiguration",
        "AuditLog.Read.All",
        "User.Read.All",
        "RoleManagement.Read.Directory",
        "Microsoft.AADIAM/diagnosticSettings/read",
        "Microsoft.Intune/diagnosticSettings/read",
    ),
)
def collect_entra(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    tenants = sorted({s.tenant_id for s in session.subscriptions if s.tenant_id})
    yield tenant_record(session, tenants[0] if tenants else "unknown")
