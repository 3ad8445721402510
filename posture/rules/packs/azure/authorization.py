"""Azure RBAC rules: owners, User Access Administrators, custom roles."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, observed

ASSIGNMENTS = "azure.authorization.role_assignments"
DEFINITION = "azure.authorization.role_definition"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMIN = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
DOCS = "https://learn.microsoft.com/azure/role-based-access-control/"


def _assignments(resource: ResourceRecord, role: str, scopes: set[str]) -> list[dict[str, Any]]:
    """Assignments of built-in ``role`` (by GUID) made at one of ``scopes`` (lowercased)."""
    found = []
    for item in resource.config.get("roleAssignments") or []:
        p = item.get("properties") or {}
        if (
            str(p.get("roleDefinitionId", "")).lower().rstrip("/").endswith("/" + role)
            and str(p.get("scope", "")).lower().rstrip("/") in scopes
        ):
            found.append(
                {
                    "id": item.get("id"),
                    "principalId": p.get("principalId"),
                    "principalType": p.get("principalType"),
                    "scope": p.get("scope"),
                }
            )
    return found


@rule(
    id="azure.authorization.subscription_owners_2_to_3",
    title="The subscription has between 2 and 3 Owners",
    severity="medium",
    category="identity",
    resource_type=ASSIGNMENTS,
    rationale="One owner is a single point of failure; more than three widens the most powerful access.",
    remediation="Assign the Owner role at subscription scope to 2 or 3 accountable principals.",
    references=(DOCS + "role-assignments-list-portal",),
)
def subscription_owners_2_to_3(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    sub = f"/subscriptions/{resource.config.get('subscriptionId', '')}".lower()
    owners = _assignments(resource, OWNER, {sub})
    principals = sorted({str(o["principalId"]) for o in owners})
    return check(
        2 <= len(principals) <= 3,
        f"{len(principals)} Owners at subscription scope",
        f"{len(principals)} Owner(s) at subscription scope, not 2 or 3",
        ("roleAssignments[Owner@subscription]", owners),
    )


@rule(
    id="azure.authorization.no_standing_user_access_admin",
    title="No standing User Access Administrator at subscription or root scope",
    severity="high",
    category="identity",
    resource_type=ASSIGNMENTS,
    rationale="User Access Administrator can grant itself any role; it should be used just in time, not held.",
    remediation="Remove the assignment (az role assignment delete) and grant it through PIM when needed.",
    references=(DOCS + "elevate-access-global-admin",),
)
def no_standing_user_access_admin(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    sub = f"/subscriptions/{resource.config.get('subscriptionId', '')}".lower()
    holders = _assignments(resource, USER_ACCESS_ADMIN, {sub, ""})
    return check(
        not holders,
        "no User Access Administrator assignment at subscription or root scope",
        f"{len(holders)} standing User Access Administrator assignment(s)",
        ("roleAssignments[UserAccessAdministrator]", holders),
    )


@rule(
    id="azure.authorization.no_custom_subscription_admin_role",
    title="No custom role grants '*' over a subscription",
    severity="high",
    category="identity",
    resource_type=DEFINITION,
    rationale="A custom role with all actions is an Owner that escapes the reviews built-in Owners get.",
    remediation="Replace '*' with the actions the role needs, or use a built-in role.",
    references=(DOCS + "custom-roles",),
)
def no_custom_subscription_admin_role(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    p = resource.config.get("properties") or {}
    if str(p.get("type", "")).lower() != "customrole":
        return None
    actions = [a for perm in p.get("permissions") or [] for a in perm.get("actions") or []]
    scopes = [str(s).rstrip("/") for s in p.get("assignableScopes") or []]
    # the root, a management group (every subscription under it) or a whole subscription
    broad = [
        s
        for s in scopes
        if s == ""
        or (s.count("/") == 2 and s.lower().startswith("/subscriptions/"))
        or (s.count("/") == 4 and s.lower().startswith("/providers/microsoft.management/managementgroups/"))
    ]
    admin = "*" in actions and bool(broad)
    return check(
        not admin,
        "the role does not grant every action over a subscription",
        f"the role grants '*' at {', '.join(s or '/' for s in broad)}",
        observed(resource.config, "properties.permissions"),
        observed(resource.config, "properties.assignableScopes"),
    )


def _lock_admin_roles(ctx: RuleContext) -> dict[str, str]:
    """Custom roles that may create and delete locks without being an administrator of everything: GUID -> name."""
    roles = {}
    for definition in ctx.resources(DEFINITION):
        p = definition.config.get("properties") or {}
        actions = [str(a).lower() for perm in p.get("permissions") or [] for a in perm.get("actions") or []]
        writes = "microsoft.authorization/locks/*" in actions or {
            "microsoft.authorization/locks/write",
            "microsoft.authorization/locks/delete",
        } <= set(actions)
        if str(p.get("type", "")).lower() == "customrole" and writes and "*" not in actions:
            roles[str(definition.config.get("id", "")).lower().rstrip("/").rsplit("/", 1)[-1]] = str(
                p.get("roleName") or definition.name
            )
    return roles


@rule(
    id="azure.authorization.lock_admin_custom_role",
    title="A custom role for administering resource locks is assigned",
    severity="low",
    category="identity",
    resource_type=ASSIGNMENTS,
    rationale="Locks protect resources only if few can remove them; a dedicated role lets the right people manage "
    "locks without Owner or User Access Administrator.",
    remediation="Create a custom role with Microsoft.Authorization/locks/* (and read actions) and assign it to "
    "the people who administer locks.",
    references=(
        "https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources#who-can-create-or-delete-locks",
    ),
)
def lock_admin_custom_role(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    roles = _lock_admin_roles(ctx)
    assigned = sorted(
        {
            roles[role]
            for item in resource.config.get("roleAssignments") or []
            if (role := str((item.get("properties") or {}).get("roleDefinitionId", "")).lower().rsplit("/", 1)[-1])
            in roles
        }
    )
    bad = (
        f"lock administration roles exist but are not assigned: {', '.join(sorted(roles.values()))}"
        if roles
        else "no custom role grants Microsoft.Authorization/locks/* (or locks write and delete)"
    )
    return check(bool(assigned), f"assigned: {', '.join(assigned)}", bad, ("customLockRoles", sorted(roles.values())))
