"""IAM rules: the root user and its use, the password policy, IAM users, console users outside federation,
policies, the support role, certificates."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import age_days, parse_time, statements
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, errored, observed, unreadable

UNUSED_DAYS = 45
# root sign-ins or key use within this many days count as use of the root user for everyday work
ROOT_RECENT_DAYS = 30
ROOT_USE_FIELDS = ("password_last_used", "access_key_1_last_used_date", "access_key_2_last_used_date")


ROTATION_DAYS = 90


def summary(resource: ResourceRecord, key: str) -> Any:
    return (resource.config.get("SummaryMap") or {}).get(key)


@rule(
    id="aws.iam.root_has_no_access_keys",
    title="The root user has no access keys",
    severity="critical",
    category="identity",
    resource_type="aws.iam.account",
    rationale="Root access keys give unrestricted, unscoped access to the whole account and cannot be limited "
    "by policy.",
    remediation="Sign in as root, open Security credentials and delete every root access key.",
)
def root_has_no_access_keys(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if summary(resource, "AccountAccessKeysPresent") is None:
        return None
    return check(
        summary(resource, "AccountAccessKeysPresent") == 0,
        "the root user has no access keys",
        "the root user has access keys",
        observed(resource.config, "SummaryMap.AccountAccessKeysPresent"),
    )


@rule(
    id="aws.iam.root_mfa_enabled",
    title="MFA is enabled for the root user",
    severity="critical",
    category="identity",
    resource_type="aws.iam.account",
    rationale="Without MFA, the root user's password alone gives full control of the account.",
    remediation="Sign in as root and assign an MFA device under Security credentials.",
)
def root_mfa_enabled(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if summary(resource, "AccountMFAEnabled") is None:
        return None
    return check(
        summary(resource, "AccountMFAEnabled") == 1,
        "the root user has MFA",
        "the root user has no MFA device",
        observed(resource.config, "SummaryMap.AccountMFAEnabled"),
    )


@rule(
    id="aws.iam.root_hardware_mfa",
    title="The root user's MFA is a hardware device",
    severity="high",
    category="identity",
    resource_type="aws.iam.account",
    rationale="A virtual MFA device lives on a phone or laptop that can be lost or compromised; a hardware key "
    "is a separate, physical factor.",
    remediation="Replace the root user's virtual MFA device with a hardware MFA or FIDO security key.",
)
def root_hardware_mfa(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if summary(resource, "AccountMFAEnabled") is None:
        return None
    if "RootVirtualMFADevices" not in resource.config:
        return errored("the virtual MFA devices could not be listed", observed(resource.config, "_errors"))
    enabled = summary(resource, "AccountMFAEnabled") == 1
    virtual = resource.config.get("RootVirtualMFADevices") or []
    return check(
        enabled and not virtual,
        "the root user's MFA is not a virtual device",
        "the root user has no MFA" if not enabled else "the root user's MFA is a virtual device",
        observed(resource.config, "SummaryMap.AccountMFAEnabled"),
        observed(resource.config, "RootVirtualMFADevices"),
    )


def password_policy_rule(resource: ResourceRecord, key: str, minimum: int, what: str) -> Verdict:
    value = (resource.config.get("PasswordPolicy") or {}).get(key)
    if resource.config.get("PasswordPolicy") is None:
        return check(False, "", "the account has no password policy", observed(resource.config, "PasswordPolicy"))
    return check(
        isinstance(value, int) and value >= minimum,
        f"the password policy requires {what} {value}",
        f"the password policy requires {what} {value}, below {minimum}",
        observed(resource.config, f"PasswordPolicy.{key}"),
    )


@rule(
    id="aws.iam.password_minimum_length_14",
    title="The IAM password policy requires at least 14 characters",
    severity="medium",
    category="identity",
    resource_type="aws.iam.account",
    rationale="Long passwords resist guessing and brute force.",
    remediation="aws iam update-account-password-policy --minimum-password-length 14",
)
def password_minimum_length(resource: ResourceRecord, ctx: Any) -> Verdict:
    return password_policy_rule(resource, "MinimumPasswordLength", 14, "a minimum length of")


@rule(
    id="aws.iam.password_reuse_prevention_24",
    title="The IAM password policy prevents reuse of the last 24 passwords",
    severity="medium",
    category="identity",
    resource_type="aws.iam.account",
    rationale="Reused passwords extend the life of a leaked password.",
    remediation="aws iam update-account-password-policy --password-reuse-prevention 24",
)
def password_reuse_prevention(resource: ResourceRecord, ctx: Any) -> Verdict:
    return password_policy_rule(resource, "PasswordReusePrevention", 24, "remembering")


def policy_entities(resource: ResourceRecord, key: str) -> dict[str, list[str]] | Verdict:
    """The users, groups and roles a managed policy is attached to; an ERROR verdict when they were not read."""
    found = resource.config.get(key)
    if found is None:
        return errored(f"{key} could not be read", observed(resource.config, f"_errors.{key}"))
    return found


@rule(
    id="aws.iam.support_role_exists",
    title="A role is attached to AWSSupportAccess to manage incidents with AWS Support",
    severity="low",
    category="identity",
    resource_type="aws.iam.account",
    rationale="A dedicated support role lets the incident team open and follow AWS Support cases without "
    "broader rights.",
    remediation="Create a role trusted by your incident team and attach arn:aws:iam::aws:policy/AWSSupportAccess.",
)
def support_role_exists(resource: ResourceRecord, ctx: Any) -> Verdict:
    found = policy_entities(resource, "SupportPolicyEntities")
    if isinstance(found, Verdict):
        return found
    return check(
        bool(found.get("PolicyRoles")),
        "a role is attached to AWSSupportAccess",
        "no role is attached to AWSSupportAccess",
        observed(resource.config, "SupportPolicyEntities.PolicyRoles"),
    )


@rule(
    id="aws.iam.cloudshell_full_access_restricted",
    title="AWSCloudShellFullAccess is attached to no user, group or role",
    severity="medium",
    category="identity",
    resource_type="aws.iam.account",
    rationale="CloudShell full access allows file upload and download and outbound connections from a shell "
    "with the caller's credentials, a data exfiltration path.",
    remediation="Detach arn:aws:iam::aws:policy/AWSCloudShellFullAccess from every user, group and role.",
)
def cloudshell_restricted(resource: ResourceRecord, ctx: Any) -> Verdict:
    found = policy_entities(resource, "CloudShellPolicyEntities")
    if isinstance(found, Verdict):
        return found
    attached = [n for key in ("PolicyUsers", "PolicyGroups", "PolicyRoles") for n in found.get(key) or []]
    return check(
        not attached,
        "AWSCloudShellFullAccess is not attached",
        f"AWSCloudShellFullAccess is attached to {', '.join(attached)}",
        observed(resource.config, "CloudShellPolicyEntities"),
    )


def has_console_password(config: dict[str, Any]) -> bool:
    report = config.get("CredentialReport") or {}
    return config.get("LoginProfile") is not None or report.get("password_enabled") == "true"


@rule(
    id="aws.iam.user_console_mfa",
    title="IAM users with a console password have MFA",
    severity="high",
    category="identity",
    resource_type="aws.iam.user",
    rationale="A console password without MFA is one phished or guessed secret away from account access.",
    remediation="Assign an MFA device to the user, or remove the console password if it is not needed.",
)
def user_console_mfa(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    if not has_console_password(resource.config):
        return None
    devices = resource.config.get("MFADevices") or []
    report_mfa = (resource.config.get("CredentialReport") or {}).get("mfa_active") == "true"
    return check(
        bool(devices) or report_mfa,
        "the user has a console password and MFA",
        "the user has a console password but no MFA device",
        observed(resource.config, "LoginProfile"),
        observed(resource.config, "MFADevices"),
    )


def active_keys(config: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(n, k) for n, k in enumerate(config.get("AccessKeys") or []) if k.get("Status") == "Active"]


@rule(
    id="aws.iam.user_credentials_unused_45_days_disabled",
    title="Credentials unused for 45 days or more are disabled",
    severity="medium",
    category="identity",
    resource_type="aws.iam.user",
    rationale="Passwords and keys nobody uses are still valid ways in; disabling them shrinks the attack surface.",
    remediation="Remove the console password and deactivate access keys not used in the last 45 days.",
)
def user_credentials_unused(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    config = resource.config
    stale: list[Evidence] = []
    fresh: list[Evidence] = []
    if has_console_password(config):
        report = config.get("CredentialReport") or {}
        last = config.get("PasswordLastUsed") or report.get("password_last_used")
        path = "PasswordLastUsed" if config.get("PasswordLastUsed") else "CredentialReport.password_last_used"
        if parse_time(last) is None:  # never used: count from when the password was set
            last = (config.get("LoginProfile") or {}).get("CreateDate") or report.get("password_last_changed")
            path = "LoginProfile.CreateDate" if config.get("LoginProfile") else "CredentialReport.password_last_changed"
        age = age_days(last)
        (stale if age is not None and age >= UNUSED_DAYS else fresh).append(Evidence(path, last))
    for n, key in active_keys(config):
        used = (key.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
        path = f"AccessKeys.{n}.AccessKeyLastUsed.LastUsedDate" if used else f"AccessKeys.{n}.CreateDate"
        when = used or key.get("CreateDate")
        age = age_days(when)
        (stale if age is not None and age >= UNUSED_DAYS else fresh).append(Evidence(path, when))
    if not stale and not fresh:
        return None
    return check(
        not stale,
        f"every enabled credential was used (or created) within {UNUSED_DAYS} days",
        f"{len(stale)} enabled credential(s) unused for {UNUSED_DAYS} days or more",
        *(stale or fresh),
    )


@rule(
    id="aws.iam.access_keys_rotated_90_days",
    title="Active access keys are rotated every 90 days or less",
    severity="medium",
    category="identity",
    resource_type="aws.iam.user",
    rationale="Rotating keys bounds how long a leaked key stays useful.",
    remediation="Create a new access key, move its users to it, then deactivate and delete the old key.",
)
def access_keys_rotated(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    keys = active_keys(resource.config)
    if not keys:
        return None
    old = [(n, k) for n, k in keys if (age_days(k.get("CreateDate")) or 0) > ROTATION_DAYS]
    shown = old or keys
    return check(
        not old,
        f"every active key is {ROTATION_DAYS} days old or less",
        f"{len(old)} active key(s) older than {ROTATION_DAYS} days",
        *(Evidence(f"AccessKeys.{n}.CreateDate", k.get("CreateDate")) for n, k in shown),
    )


@rule(
    id="aws.iam.user_permissions_through_groups_only",
    title="IAM users receive permissions only through groups",
    severity="low",
    category="identity",
    resource_type="aws.iam.user",
    rationale="Permissions granted per user drift and are hard to review; groups keep access consistent.",
    remediation="Move the user's inline and attached policies to a group and add the user to it.",
)
def user_permissions_through_groups(resource: ResourceRecord, ctx: Any) -> Verdict:
    inline = resource.config.get("UserPolicyList") or []
    attached = resource.config.get("AttachedManagedPolicies") or []
    return check(
        not inline and not attached,
        "the user has no policies of its own",
        f"the user has {len(inline)} inline and {len(attached)} attached policies of its own",
        Evidence("UserPolicyList", [p.get("PolicyName") for p in inline]),
        Evidence("AttachedManagedPolicies", [p.get("PolicyArn") for p in attached]),
    )


def allows_everything(document: Any) -> bool:
    """An Allow of Action "*" on Resource "*". A condition does not make it less than admin: whoever meets it
    (an MFA session, a source address, a tag) holds every permission. ``s3:*`` or ``iam:*`` is not "*"."""
    for s in statements(document):
        actions = s.get("Action")
        resources = s.get("Resource")
        actions = actions if isinstance(actions, list) else [actions]
        resources = resources if isinstance(resources, list) else [resources]
        if s.get("Effect") == "Allow" and "*" in actions and "*" in resources:
            return True
    return False


@rule(
    id="aws.iam.no_attached_full_admin_policy",
    title='No attached customer managed policy allows "*:*" administrative privileges',
    severity="high",
    category="identity",
    resource_type="aws.iam.policy",
    rationale='A policy allowing Action "*" on Resource "*" grants full administrative rights; least privilege '
    "starts with not handing those out.",
    remediation="Detach the policy and grant only the actions each principal needs.",
)
def no_attached_admin_policy(resource: ResourceRecord, ctx: Any) -> Verdict:
    admin = allows_everything(lookup_document(resource.config))
    attached = int(resource.config.get("AttachmentCount") or 0) > 0
    evidence = (observed(resource.config, "AttachmentCount"), observed(resource.config, "DefaultVersion.Document"))
    if admin and not attached:
        return check(True, 'the policy allows "*:*" but is attached to nothing', "", *evidence)
    return check(
        not admin,
        'the policy does not allow "*:*"',
        f'the policy allows "*:*" and is attached to {resource.config.get("AttachmentCount")} principal(s)',
        *evidence,
    )


def lookup_document(config: dict[str, Any]) -> Any:
    return (config.get("DefaultVersion") or {}).get("Document")


@rule(
    id="aws.iam.server_certificate_not_expired",
    title="No expired SSL/TLS certificates are stored in IAM",
    severity="medium",
    category="encryption",
    resource_type="aws.iam.server_certificate",
    rationale="An expired certificate deployed by mistake breaks clients or trains users to ignore warnings.",
    remediation="aws iam delete-server-certificate --server-certificate-name NAME",
)
def server_certificate_not_expired(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    age = age_days(resource.config.get("Expiration"))
    if age is None:
        return None
    return check(
        age < 0,
        "the certificate has not expired",
        "the certificate has expired",
        observed(resource.config, "Expiration"),
    )


@rule(
    id="aws.iam.root_not_used_recently",
    title="The root user is not used for everyday tasks",
    severity="high",
    category="identity",
    resource_type="aws.iam.account",
    rationale="The root user cannot be limited by IAM policy; used for routine work, one stolen session or key "
    "gives away the whole account. It is needed only for the few tasks that require it.",
    remediation="Create IAM Identity Center users or IAM roles for administration, stop signing in as root, and "
    "delete root access keys; keep root for the tasks that require it.",
)
def root_not_used_recently(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    root = resource.config.get("CredentialReportRoot")
    if not isinstance(root, dict):
        return unreadable(resource, "CredentialReport", "the credential report")
    recent = [
        Evidence(f"CredentialReportRoot.{name}", root.get(name))
        for name in ROOT_USE_FIELDS
        if (age := age_days(root.get(name))) is not None and age < ROOT_RECENT_DAYS
    ]
    return check(
        not recent,
        f"the root user has not signed in or used an access key in the last {ROOT_RECENT_DAYS} days",
        f"the root user was used in the last {ROOT_RECENT_DAYS} days",
        *(recent or [Evidence(f"CredentialReportRoot.{name}", root.get(name)) for name in ROOT_USE_FIELDS]),
    )


@rule(
    id="aws.iam.console_users_federated",
    title="People sign in through a central identity provider, not as IAM users with passwords",
    severity="medium",
    category="identity",
    resource_type="aws.iam.account",
    rationale="IAM users with console passwords are managed account by account, outside the organization's "
    "directory: leavers keep access and MFA and password rules vary. Federation (IAM Identity Center or a "
    "SAML/OIDC provider) grants short-lived role sessions managed in one place.",
    remediation="Give people access through IAM Identity Center or a SAML/OIDC identity provider and IAM roles, "
    "then remove the IAM users' console passwords (aws iam delete-login-profile --user-name NAME).",
)
def console_users_federated(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    users = ctx.resources("aws.iam.user")
    unknown = [u.name for u in users if (u.config.get("_errors") or {}).get("LoginProfile")]
    if unknown:
        return errored(f"the console password of {len(unknown)} user(s) could not be read", ("users", unknown))
    console = sorted(u.name for u in users if has_console_password(u.config))
    return check(
        not console,
        f"none of the {len(users)} IAM user(s) has a console password",
        f"{len(console)} IAM user(s) sign in to the console with a password: {', '.join(console[:10])}",
        ("users with a console password", console),
    )
