"""AWS Organizations rules, judged from the management account: centralized root access, guardrails,
no workloads in the management account, organizational units, delegated administrators."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import as_list, statements
from posture.rules.packs.aws.workloads import workloads
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, failed, manual, observed, unreadable

TYPE = "aws.organizations.account_settings"
ROOT_FEATURES = ("RootCredentialsManagement", "RootSessions")
# services with trusted access that accept a delegated administrator (security and governance services)
DELEGATABLE = frozenset(
    {
        "access-analyzer.amazonaws.com",
        "auditmanager.amazonaws.com",
        "backup.amazonaws.com",
        "cloudtrail.amazonaws.com",
        "config.amazonaws.com",
        "config-multiaccountsetup.amazonaws.com",
        "detective.amazonaws.com",
        "fms.amazonaws.com",
        "guardduty.amazonaws.com",
        "iam.amazonaws.com",
        "inspector2.amazonaws.com",
        "ipam.amazonaws.com",
        "macie.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
        "securityhub.amazonaws.com",
        "securitylake.amazonaws.com",
        "sso.amazonaws.com",
    }
)


def from_management(resource: ResourceRecord) -> Verdict | None:
    """None when the rule can judge this record: the management account's; else why not (None: no org)."""
    if not resource.config.get("InOrganization"):
        return None
    return manual(
        "the organization's settings are read from its management account: scan that account",
        observed(resource.config, "Organization.MasterAccountId"),
    )


def management_only(resource: ResourceRecord) -> bool:
    return bool(resource.config.get("IsManagementAccount"))


def first_unreadable(resource: ResourceRecord, *keys: str) -> Verdict | None:
    return next((v for v in (unreadable(resource, k) for k in keys) if v), None)


@rule(
    id="aws.organizations.root_access_centralized",
    title="Root access to member accounts is managed centrally by the organization",
    severity="high",
    category="identity",
    resource_type=TYPE,
    rationale="With centralized root access, member accounts have no root password, keys or MFA to lose; the "
    "management account runs the rare root-only task in a short root session instead.",
    remediation="aws organizations enable-aws-service-access --service-principal iam.amazonaws.com; then aws iam "
    "enable-organizations-root-credentials-management and aws iam enable-organizations-root-sessions.",
)
def root_access_centralized(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not management_only(resource):
        return from_management(resource)
    problem = unreadable(resource, "EnabledServicePrincipals")
    if problem:
        return problem
    trusted = "iam.amazonaws.com" in as_list(resource.config.get("EnabledServicePrincipals"))
    problem = unreadable(resource, "IamOrganizationsFeatures") if trusted else None
    if problem:
        return problem
    missing = [f for f in ROOT_FEATURES if f not in as_list(resource.config.get("IamOrganizationsFeatures"))]
    return check(
        trusted and not missing,
        "IAM has trusted access and root credentials management and root sessions are enabled",
        "IAM has no trusted access in the organization"
        if not trusted
        else f"centralized root access is not fully enabled: {', '.join(missing)} missing",
        observed(resource.config, "EnabledServicePrincipals"),
        observed(resource.config, "IamOrganizationsFeatures"),
    )


def scp_enabled(resource: ResourceRecord) -> bool:
    root = (resource.config.get("Roots") or [{}])[0]
    return any(
        t.get("Type") == "SERVICE_CONTROL_POLICY" and t.get("Status") == "ENABLED"
        for t in root.get("PolicyTypes") or []
    )


def guarded_targets(resource: ResourceRecord) -> set[str]:
    """Roots, units and accounts with a service control policy of the customer's own attached."""
    return {
        str(t.get("TargetId"))
        for p in resource.config.get("ServiceControlPolicies") or []
        if not p.get("AwsManaged")
        for t in p.get("Targets") or []
    }


def unguarded_children(resource: ResourceRecord) -> list[str]:
    """The root's units and member accounts that no customer policy covers (none when the root has one)."""
    guarded = guarded_targets(resource)
    root_id = ((resource.config.get("Roots") or [{}])[0]).get("Id")
    if root_id in guarded:
        return []
    children = resource.config.get("RootChildren") or {}
    management = (resource.config.get("Organization") or {}).get("MasterAccountId")
    units = [u.get("Id") for u in children.get("OrganizationalUnits") or []]
    accounts = [a.get("Id") for a in children.get("Accounts") or [] if a.get("Id") != management]
    return [str(c) for c in units + accounts if c not in guarded]


@rule(
    id="aws.organizations.guardrails_attached",
    title="Service control policies guard every member account",
    severity="high",
    category="identity",
    resource_type=TYPE,
    rationale="Service control policies set the most any principal of a member account may do, whatever its IAM "
    "policies say: they keep guardrails (no leaving the organization, no disabling CloudTrail, allowed regions) "
    "in force. Only the default FullAWSAccess policy guards nothing.",
    remediation="Enable the SERVICE_CONTROL_POLICY policy type on the root, write guardrail policies and attach "
    "them to the root or to every organizational unit (aws organizations attach-policy).",
)
def guardrails_attached(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not management_only(resource):
        return from_management(resource)
    problem = first_unreadable(resource, "Roots", "RootChildren", "ServiceControlPolicies")
    if problem:
        return problem
    policies = [
        {"Name": p.get("Name"), "AwsManaged": p.get("AwsManaged"), "Targets": [t.get("TargetId") for t in p["Targets"]]}
        for p in resource.config.get("ServiceControlPolicies") or []
        if isinstance(p.get("Targets"), list)
    ]
    if not scp_enabled(resource):
        return failed("service control policies are not enabled on the root", observed(resource.config, "Roots"))
    unguarded = unguarded_children(resource)
    return check(
        not unguarded and bool(guarded_targets(resource)),
        "a service control policy of the organization's own covers every member account",
        f"no service control policy of the organization's own covers {', '.join(unguarded) or 'any account'}",
        Evidence("ServiceControlPolicies", policies),
        ("unguarded units and accounts under the root", unguarded),
    )


@rule(
    id="aws.organizations.management_account_without_workloads",
    title="The organization's management account runs no workloads",
    severity="medium",
    category="identity",
    resource_type=TYPE,
    rationale="Service control policies do not restrict the management account, and whoever controls it controls "
    "every account: workloads there widen who and what can reach it.",
    remediation="Move instances, clusters and databases out of the management account into member accounts.",
)
def management_account_without_workloads(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not management_only(resource):
        return None  # the control is about the management account only
    found = sorted(w.uid for w in workloads(ctx))
    return check(
        not found,
        "the management account runs no instances, clusters, databases, file systems or load balancers",
        f"the management account runs {len(found)} workload(s)",
        observed(resource.config, "IsManagementAccount"),
        ("workloads", found[:20]),
    )


@rule(
    id="aws.organizations.accounts_in_units",
    title="Member accounts are placed in organizational units",
    severity="low",
    category="identity",
    resource_type=TYPE,
    rationale="Organizational units group accounts by environment and sensitivity so each group gets its own "
    "policies; accounts left under the root share one set and cannot be governed apart.",
    remediation="aws organizations create-organizational-unit, then aws organizations move-account for every "
    "member account under the root.",
)
def accounts_in_units(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not management_only(resource):
        return from_management(resource)
    problem = first_unreadable(resource, "Roots", "RootChildren")
    if problem:
        return problem
    children = resource.config.get("RootChildren") or {}
    management = (resource.config.get("Organization") or {}).get("MasterAccountId")
    loose = [a.get("Id") for a in children.get("Accounts") or [] if a.get("Id") != management]
    units = [u.get("Name") for u in children.get("OrganizationalUnits") or []]
    return check(
        bool(units) and not loose,
        f"member accounts sit in {len(units)} organizational unit(s) under the root",
        "the organization has no organizational unit"
        if not units
        else f"{len(loose)} member account(s) sit directly under the root",
        ("organizational units under the root", units),
        ("member accounts directly under the root", loose),
    )


def manages_policies(action: str) -> bool:
    action = action.lower()
    return action in ("*", "organizations:*") or (action.startswith("organizations:") and "polic" in action)


def delegates_policies(policy: Any) -> list[dict[str, Any]]:
    """Allow statements of the organization's resource policy that let a member manage policies."""
    return [
        s
        for s in statements(policy)
        if s.get("Effect") == "Allow"
        and any(
            str(a).lower() in ("organizations:*", "*") or "polic" in str(a).lower() for a in as_list(s.get("Action"))
        )
    ]


@rule(
    id="aws.organizations.policy_management_delegated",
    title="A delegated administrator account manages the organization's policies",
    severity="low",
    category="identity",
    resource_type=TYPE,
    rationale="Delegating policy management lets the security team work from a member account, so fewer people "
    "need the management account, which nothing restricts.",
    remediation="aws organizations put-resource-policy with a statement allowing the delegated account the "
    "organizations policy actions (CreatePolicy, UpdatePolicy, AttachPolicy, DetachPolicy, Describe*, List*).",
)
def policy_management_delegated(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not management_only(resource):
        return from_management(resource)
    problem = unreadable(resource, "ResourcePolicy")
    if problem:
        return problem
    granted = delegates_policies(resource.config.get("ResourcePolicy"))
    return check(
        bool(granted),
        "the organization's resource policy delegates policy management",
        "no resource policy delegates the organization's policy management",
        Evidence("ResourcePolicy.Statement", granted or observed(resource.config, "ResourcePolicy").value),
    )


@rule(
    id="aws.organizations.services_delegated",
    title="Integrated security services are run by a delegated administrator account",
    severity="low",
    category="identity",
    resource_type=TYPE,
    rationale="A service with trusted access but no delegated administrator is run from the management account, "
    "so its operators need access to the account that controls every other.",
    remediation="aws organizations register-delegated-administrator --account-id ID --service-principal "
    "SERVICE for every integrated service that accepts one (GuardDuty, Security Hub, Access Analyzer...).",
)
def services_delegated(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not management_only(resource):
        return from_management(resource)
    problem = first_unreadable(resource, "EnabledServicePrincipals", "DelegatedAdministrators")
    if problem:
        return problem
    delegated = {
        str(s.get("ServicePrincipal"))
        for admin in resource.config.get("DelegatedAdministrators") or []
        for s in admin.get("DelegatedServices") or []
    }
    enabled = sorted(DELEGATABLE.intersection(as_list(resource.config.get("EnabledServicePrincipals"))))
    missing = [s for s in enabled if s not in delegated]
    return check(
        not missing,
        f"each of the {len(enabled)} integrated service(s) that accept one has a delegated administrator",
        f"{len(missing)} integrated service(s) run from the management account: {', '.join(missing)}",
        observed(resource.config, "EnabledServicePrincipals"),
        ("delegated services", sorted(delegated)),
    )
