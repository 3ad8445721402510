"""Microsoft Entra ID rules: security defaults or Conditional Access, MFA registration, device join, and the
tenant's sign-in, audit and Graph activity logs exported through its diagnostic settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import enabled_categories, has_destination, settings_sending
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, errored, lookup, observed, passed, unreadable

TENANT = "azure.entra.tenant"
DOCS = "https://learn.microsoft.com/entra/"
MAX_NAMED = 20
REGISTER_DEVICE = "urn:user:registerdevice"
# Sign-in and audit logs every Entra ID P1 tenant has (Graph activity logs have a rule of their own).
ACTIVITY_LOGS = (
    "AuditLogs",
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
)


def _requires_mfa(policy: dict[str, Any]) -> bool:
    grant = policy.get("grantControls") or {}
    controls = [str(c).lower() for c in grant.get("builtInControls") or []]
    return "mfa" in controls or bool(grant.get("authenticationStrength"))


def _enforced(policy: Any) -> bool:
    return isinstance(policy, dict) and policy.get("state") == "enabled" and _requires_mfa(policy)


def mfa_for_all_policies(policies: list[Any] | None) -> list[str]:
    """Enabled Conditional Access policies requiring MFA of all users for all cloud apps (exclusions allowed:
    break-glass accounts are excluded by design)."""
    return [
        str(p.get("displayName") or p.get("id"))
        for p in policies or []
        if _enforced(p)
        and "All" in (lookup(p, "conditions.users.includeUsers") or [])
        and "All" in (lookup(p, "conditions.applications.includeApplications") or [])
    ]


def device_registration_policies(policies: list[Any] | None) -> list[str]:
    """Enabled Conditional Access policies requiring MFA for the 'register or join devices' user action."""
    return [
        str(p.get("displayName") or p.get("id"))
        for p in policies or []
        if _enforced(p) and REGISTER_DEVICE in (lookup(p, "conditions.applications.includeUserActions") or [])
    ]


@rule(
    id="azure.entra.security_defaults_enabled",
    title="Entra ID security defaults are on, or Conditional Access requires MFA of every user",
    severity="high",
    category="identity",
    resource_type=TENANT,
    rationale="Security defaults make every user register and use MFA and block legacy authentication. A tenant "
    "with Conditional Access turns them off and must require MFA of all users there instead.",
    remediation="Entra admin center > Properties > Manage security defaults > Enabled; or, with Entra ID P1, an "
    "enabled Conditional Access policy for All users and All cloud apps granting access only with MFA.",
    references=(DOCS + "fundamentals/security-defaults",),
)
def security_defaults_enabled(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "securityDefaults", "the security defaults policy")
    if problem:
        return problem
    enabled = observed(resource.config, "securityDefaults.isEnabled")
    if enabled.value is True:
        return passed("security defaults are enabled", enabled)
    problem = unreadable(resource, "conditionalAccessPolicies", "the Conditional Access policies")
    if problem:
        return problem
    replacing = mfa_for_all_policies(resource.config.get("conditionalAccessPolicies"))
    return check(
        bool(replacing),
        f"security defaults are off; Conditional Access requires MFA of all users ({', '.join(replacing)})",
        "security defaults are off and no enabled Conditional Access policy requires MFA of all users",
        enabled,
        ("conditionalAccessPolicies.*.displayName", replacing),
    )


@rule(
    id="azure.entra.mfa_registered_all_members",
    title="Every member user has registered a multifactor authentication method",
    severity="high",
    category="identity",
    resource_type=TENANT,
    rationale="A user without an MFA method signs in with a password alone, and whoever first registers a method "
    "for that account owns it.",
    remediation="Require MFA registration (security defaults, or an Identity Protection registration policy) and "
    "follow up the listed users; the Authentication methods > User registration details report lists them.",
    references=(DOCS + "identity/authentication/howto-authentication-methods-activity",),
)
def mfa_registered_all_members(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "userRegistration", "the authentication methods registration report")
    if problem:
        return problem
    members = lookup(resource.config, "userRegistration.members") or 0
    missing = [
        u.get("userPrincipalName") or u.get("id")
        for u in lookup(resource.config, "userRegistration.membersWithoutMfa") or []
    ]
    return check(
        not missing,
        f"all {members} enabled member users registered an MFA method",
        f"{len(missing)} of {members} enabled member users have no MFA method: "
        + ", ".join(map(str, missing[:MAX_NAMED])),
        ("userRegistration.membersWithoutMfa.*.userPrincipalName", missing[:MAX_NAMED]),
    )


@rule(
    id="azure.entra.device_join_requires_mfa",
    title="Registering or joining devices to Entra ID requires multifactor authentication",
    severity="medium",
    category="identity",
    resource_type=TENANT,
    rationale="A device registered with a stolen password becomes a trusted device of the tenant.",
    remediation="Entra admin center > Devices > Device settings > Require Multifactor Authentication to register "
    "or join devices: Yes; or a Conditional Access policy on the 'Register or join devices' user action "
    "requiring MFA (then leave the device setting at No).",
    references=(DOCS + "identity/devices/manage-device-identities",),
)
def device_join_requires_mfa(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "deviceRegistrationPolicy", "the device registration policy")
    if problem:
        return problem
    setting = observed(resource.config, "deviceRegistrationPolicy.multiFactorAuthConfiguration")
    if setting.value == "required":
        return passed("device registration requires MFA", setting)
    problem = unreadable(resource, "conditionalAccessPolicies", "the Conditional Access policies")
    if problem:
        return problem
    policies = device_registration_policies(resource.config.get("conditionalAccessPolicies"))
    return check(
        bool(policies),
        f"Conditional Access requires MFA to register or join devices ({', '.join(policies)})",
        f"devices register or join without MFA (multiFactorAuthConfiguration {setting.value}, and no Conditional "
        "Access policy on registering devices)",
        setting,
        ("conditionalAccessPolicies.*.displayName", policies),
    )


def _sent(settings: list[dict[str, Any]]) -> set[str]:
    """Lowercased categories sent to a destination by any of the tenant's diagnostic settings."""
    return {c for s in settings if has_destination(s) for c in enabled_categories(s)}


@rule(
    id="azure.entra.graph_activity_logs_exported",
    title="Entra ID sends Microsoft Graph activity logs to a destination",
    severity="medium",
    category="logging",
    resource_type=TENANT,
    rationale="Graph activity logs record every API request against the tenant's data (a stolen token reading "
    "mail or users); Entra keeps none unless a diagnostic setting sends them.",
    remediation="Entra admin center > Monitoring > Diagnostic settings: send MicrosoftGraphActivityLogs to a Log "
    "Analytics workspace, storage account or event hub.",
    references=(DOCS + "identity/monitoring-health/microsoft-graph-activity-logs-overview",),
)
def graph_activity_logs_exported(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "Entra ID's diagnostic settings")
    if problem:
        return problem
    settings = resource.config.get("diagnosticSettings") or []
    sending = settings_sending(settings, {"MicrosoftGraphActivityLogs"}, set())
    return check(
        bool(sending),
        f"Graph activity logs are sent by {', '.join(sending)}",
        "no diagnostic setting sends Microsoft Graph activity logs",
        ("diagnosticSettings", [s.get("name") for s in settings]),
    )


@rule(
    id="azure.entra.activity_logs_exported",
    title="Entra ID sends its audit and sign-in logs to a destination",
    severity="medium",
    category="logging",
    resource_type=TENANT,
    rationale="Entra ID keeps sign-in and audit logs for 30 days at most; an investigation needs them longer and "
    "beside the other logs.",
    remediation="Entra admin center > Monitoring > Diagnostic settings: send " + ", ".join(ACTIVITY_LOGS) + " to a "
    "Log Analytics workspace, storage account or event hub.",
    references=(DOCS + "identity/monitoring-health/howto-configure-diagnostic-settings",),
)
def activity_logs_exported(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "Entra ID's diagnostic settings")
    if problem:
        return problem
    sent = _sent(resource.config.get("diagnosticSettings") or [])
    missing = [c for c in ACTIVITY_LOGS if c.lower() not in sent and "alllogs" not in sent]
    return check(
        not missing,
        "audit and sign-in logs are all sent to a destination",
        f"not sent anywhere: {', '.join(missing)}",
        ("diagnosticSettings.*.properties.logs", sorted(sent)),
    )


ROLE_ASSIGNMENTS = "azure.authorization.role_assignments"


@rule(
    id="azure.entra.disabled_users_without_roles",
    title="Disabled user accounts hold no Azure role assignments",
    severity="medium",
    category="identity",
    resource_type=TENANT,
    rationale="A disabled account keeps its role assignments: re-enabled by mistake or by an attacker with "
    "directory rights, it has its old access to the subscription at once.",
    remediation="Remove the listed role assignments (az role assignment delete --assignee OBJECT_ID --scope "
    "SCOPE), or delete the accounts, as part of leaver processing.",
    references=("https://learn.microsoft.com/azure/role-based-access-control/role-assignments-remove",),
)
def disabled_users_without_roles(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "disabledUsers", "the disabled user accounts")
    if problem:
        return problem
    disabled = {
        str(u.get("id")): u.get("userPrincipalName") or u.get("id") for u in resource.config.get("disabledUsers") or []
    }
    holders = ctx.resources(ROLE_ASSIGNMENTS)
    if not holders:
        return errored(
            "the subscriptions' role assignments were not collected in this scan",
            ("disabledUsers", sorted(disabled.values())),
        )
    held: dict[str, list[str]] = {}
    for holder in holders:
        for assignment in holder.config.get("roleAssignments") or []:
            principal = str(lookup(assignment, "properties.principalId") or "")
            if principal in disabled:
                role = str(lookup(assignment, "properties.roleDefinitionId") or "").rsplit("/", 1)[-1]
                held.setdefault(str(disabled[principal]), []).append(
                    f"{role} at {lookup(assignment, 'properties.scope')}"
                )
    return check(
        not held,
        f"none of the {len(disabled)} disabled user accounts holds a role assignment",
        f"{len(held)} disabled user accounts still hold role assignments: {', '.join(sorted(held))}",
        ("disabledUsers.*.roleAssignments", dict(sorted(held.items())[:MAX_NAMED])),
    )


INTUNE_LOGS = ("AuditLogs", "OperationalLogs", "DeviceComplianceOrg")


@rule(
    id="azure.entra.intune_logs_to_log_analytics",
    title="Intune sends its audit, operational and compliance logs to Log Analytics",
    severity="low",
    category="logging",
    resource_type=TENANT,
    rationale="Intune's logs record who changed device policies and which devices fell out of compliance; kept in "
    "Log Analytics they can be searched, alerted on and correlated with sign-ins.",
    remediation="Intune admin center > Tenant administration > Diagnostic settings: send "
    + ", ".join(INTUNE_LOGS)
    + " to a Log Analytics workspace.",
    references=("https://learn.microsoft.com/intune/intune-service/fundamentals/review-logs-using-azure-monitor",),
)
def intune_logs_to_log_analytics(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "intuneDiagnosticSettings", "Intune's diagnostic settings")
    if problem:
        return problem
    settings = resource.config.get("intuneDiagnosticSettings") or []
    to_workspace = [s for s in settings if lookup(s, "properties.workspaceId")]
    sent = {c for s in to_workspace for c in enabled_categories(s)}
    missing = [c for c in INTUNE_LOGS if c.lower() not in sent and "alllogs" not in sent]
    return check(
        not missing,
        "Intune's audit, operational and compliance logs are sent to Log Analytics",
        f"not sent to a Log Analytics workspace: {', '.join(missing)}",
        ("intuneDiagnosticSettings.*.properties.logs", sorted(sent)),
    )


# Built-in roles that administer a subscription or sign in to its virtual machines as administrators
PRIVILEGED_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "9980e02c-c2be-4d73-94e8-173b1dc7cf3c": "Virtual Machine Contributor",
    "1c0163c0-47e6-4577-8991-ea5c82e286e4": "Virtual Machine Administrator Login",
}


@rule(
    id="azure.entra.privileged_users_have_mfa",
    title="Users holding privileged Azure roles have registered MFA",
    severity="high",
    category="identity",
    resource_type=TENANT,
    rationale="An Owner, Contributor or virtual machine administrator who signs in with a password alone hands "
    "the subscription and its virtual machines to whoever phishes that password.",
    remediation="Have the listed users register an MFA method now, and require MFA for Azure management in "
    "Conditional Access; remove the role where it is no longer needed.",
    references=(DOCS + "identity/authentication/concept-mfa-howitworks",),
)
def privileged_users_have_mfa(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "userRegistration", "the authentication methods registration report")
    if problem:
        return problem
    without = {
        str(u.get("id")): u.get("userPrincipalName") or u.get("id")
        for u in lookup(resource.config, "userRegistration.membersWithoutMfa") or []
    }
    holders = ctx.resources(ROLE_ASSIGNMENTS)
    if not holders:
        return errored(
            "the subscriptions' role assignments were not collected in this scan", ("userRegistration", None)
        )
    exposed: dict[str, set[str]] = {}
    for holder in holders:
        for assignment in holder.config.get("roleAssignments") or []:
            role = str(lookup(assignment, "properties.roleDefinitionId") or "").rsplit("/", 1)[-1].lower()
            principal = str(lookup(assignment, "properties.principalId") or "")
            if role in PRIVILEGED_ROLES and principal in without:
                exposed.setdefault(str(without[principal]), set()).add(PRIVILEGED_ROLES[role])
    return check(
        not exposed,
        "every user holding a privileged role has registered MFA",
        f"{len(exposed)} users hold privileged roles without MFA: {', '.join(sorted(exposed))}",
        ("userRegistration.membersWithoutMfa.*.roles", {u: sorted(r) for u, r in sorted(exposed.items())[:MAX_NAMED]}),
    )


GUEST_INACTIVE_DAYS = 90
SIGN_IN_FIELDS = ("lastSignInDateTime", "lastNonInteractiveSignInDateTime", "lastSuccessfulSignInDateTime")


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value[:4].isdigit():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def last_seen(guest: dict[str, Any]) -> dt.datetime | None:
    """The guest's latest sign-in of any kind; else its creation (a guest who never signed in is as old as that)."""
    activity = guest.get("signInActivity") or {}
    signed_in = [t for t in (_when(activity.get(k)) for k in SIGN_IN_FIELDS) if t is not None]
    return max(signed_in) if signed_in else _when(guest.get("createdDateTime"))


@rule(
    id="azure.entra.guests_active",
    title="Guest users have signed in within the last 90 days",
    severity="low",
    category="identity",
    resource_type=TENANT,
    rationale="A guest account nobody uses is access nobody reviews: a partner's former employee keeps the "
    "tenant's invitation, and whatever groups and roles came with it.",
    remediation="Review the listed guests (an access review on guest users makes it periodic) and remove or "
    "disable those no longer needed: az ad user delete --id OBJECT_ID",
    references=(DOCS + "id-governance/manage-guest-access-with-access-reviews",),
)
def guests_active(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "guests", "the guest users and their sign-in activity")
    if problem:
        return problem
    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=GUEST_INACTIVE_DAYS)
    enabled = [g for g in resource.config.get("guests") or [] if g.get("accountEnabled") is not False]
    stale = {}
    for guest in enabled:
        seen = last_seen(guest)
        if seen is None or seen < cutoff:
            stale[str(guest.get("userPrincipalName") or guest.get("id"))] = seen.isoformat() if seen else None
    return check(
        not stale,
        f"all {len(enabled)} enabled guests signed in within {GUEST_INACTIVE_DAYS} days",
        f"{len(stale)} of {len(enabled)} enabled guests have not signed in for {GUEST_INACTIVE_DAYS} days: "
        + ", ".join(sorted(stale)[:MAX_NAMED]),
        ("guests.*.signInActivity", dict(sorted(stale.items())[:MAX_NAMED])),
    )


@rule(
    id="azure.entra.tenant_creation_restricted",
    title="Only administrators and Tenant Creators can create new tenants",
    severity="low",
    category="identity",
    resource_type=TENANT,
    rationale="A tenant a user creates is outside the organization's policies and monitoring, and its creator is "
    "its Global Administrator; restricted, tenant creation is a role whose holders can be reviewed.",
    remediation="Entra admin center > Users > User settings > Restrict non-admin users from creating tenants: Yes; "
    "then review the Tenant Creator role's assignments (Roles and administrators > Tenant Creator).",
    references=(DOCS + "identity/role-based-access-control/permissions-reference#tenant-creator",),
)
def tenant_creation_restricted(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "authorizationPolicy", "the authorization policy")
    if problem:
        return problem
    allowed = observed(resource.config, "authorizationPolicy.defaultUserRolePermissions.allowedToCreateTenants")
    creators = [str(a.get("principalId")) for a in resource.config.get("tenantCreators") or []]
    review = (
        "the Tenant Creator assignments could not be read"
        if lookup(resource.config, "_errors.tenantCreators")
        else f"{len(creators)} Tenant Creator assignment(s) to review"
    )
    return check(
        allowed.value is False,
        f"non-admin users cannot create tenants; {review}",
        "every user can create new tenants (allowedToCreateTenants is not false)",
        allowed,
        ("tenantCreators.*.principalId", creators[:MAX_NAMED]),
    )
