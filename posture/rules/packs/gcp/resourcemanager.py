"""Project rules: the project's IAM policy, audit configuration and enabled APIs."""

from __future__ import annotations

import re

from collectors.records import ResourceRecord
from posture.rules.packs.gcp.helpers import bindings, roles_by_member
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, lookup, unreadable

PROJECT = "gcp.resourcemanager.project"


ADMIN_ROLE = re.compile(r"(^roles/(owner|editor)$)|admin$", re.IGNORECASE)


SA_USER_ROLES = ("roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator")


KMS_DATA_ROLES = (
    "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    "roles/cloudkms.cryptoKeyEncrypter",
    "roles/cloudkms.cryptoKeyDecrypter",
)


SERVICE_AGENT_NAME = re.compile(r"^service-\d+$")  # service-<project number>


def is_user_managed_sa(member: str, project_id: str = "") -> bool:
    """A service account the customer manages (not a Google service agent).

    A service agent lives in a Google-owned domain (``gcp-sa-*``, ``compute-system``, ``container-engine-robot``
    ...) under the name ``service-<project number>``; an account in the project's own domain is the customer's,
    whatever it is called (``service-api@acme-prod.iam.gserviceaccount.com`` is not an agent).
    """
    if not member.startswith("serviceAccount:"):
        return False
    email = member.split(":", 1)[1]
    local, _, domain = email.partition("@")
    if domain.endswith(".iam.gserviceaccount.com"):
        if project_id and domain == f"{project_id}.iam.gserviceaccount.com":
            return True
        agent = domain.startswith(("gcp-sa-", "compute-system.")) or bool(SERVICE_AGENT_NAME.match(local))
        return not agent
    return email.endswith("-compute@developer.gserviceaccount.com") or domain == "appspot.gserviceaccount.com"


@rule(
    id="gcp.resourcemanager.service_accounts_not_admin",
    title="Service accounts hold no admin, owner or editor role on the project",
    severity="high",
    category="identity",
    resource_type=PROJECT,
    rationale="A service account key or a compromised workload with an admin role controls the project.",
    remediation="Replace the admin, owner and editor grants of service accounts with narrow roles.",
)
def service_accounts_not_admin(resource: ResourceRecord, ctx) -> Verdict:
    policy = resource.config.get("iamPolicy")
    found = [
        {"role": b.get("role"), "member": m}
        for b in bindings(policy)
        if ADMIN_ROLE.search(str(b.get("role", "")))
        for m in b.get("members") or []
        if is_user_managed_sa(str(m), str(resource.config.get("projectId") or ""))
    ]
    return unreadable(resource, "iamPolicy") or check(
        not found,
        "no service account holds an admin role",
        "service accounts hold admin roles",
        ("iamPolicy.bindings[service account admin]", found),
    )


@rule(
    id="gcp.resourcemanager.no_project_service_account_user",
    title="No one holds Service Account User or Token Creator on the whole project",
    severity="high",
    category="identity",
    resource_type=PROJECT,
    rationale="At project level these roles let a user act as every service account in the project.",
    remediation="Grant the roles on the specific service accounts that need them instead.",
)
def no_project_sa_user(resource: ResourceRecord, ctx) -> Verdict:
    found = [
        {"role": b.get("role"), "members": b.get("members")}
        for b in bindings(resource.config.get("iamPolicy"))
        if b.get("role") in SA_USER_ROLES and b.get("members")
    ]
    return unreadable(resource, "iamPolicy") or check(
        not found,
        "no project-level Service Account User or Token Creator grants",
        "project-level grants let members act as any service account",
        ("iamPolicy.bindings[serviceAccountUser|TokenCreator]", found),
    )


def _separation(resource: ResourceRecord, admin: str, others: tuple[str, ...], ok: str, bad: str, label: str):
    found = sorted(
        member
        for member, roles in roles_by_member(resource.config.get("iamPolicy")).items()
        if admin in roles and roles & set(others)
    )
    return unreadable(resource, "iamPolicy") or check(not found, ok, bad, (label, found))


@rule(
    id="gcp.resourcemanager.service_account_duties_separated",
    title="No member is both Service Account Admin and Service Account User",
    severity="medium",
    category="identity",
    resource_type=PROJECT,
    rationale="One person who can create service accounts and act as them needs no one else to abuse them.",
    remediation="Split Service Account Admin and Service Account User between different members.",
)
def sa_duties(resource: ResourceRecord, ctx) -> Verdict:
    return _separation(
        resource,
        "roles/iam.serviceAccountAdmin",
        ("roles/iam.serviceAccountUser",),
        "service account duties are separated",
        "members hold both Service Account Admin and User",
        "iamPolicy.members[serviceAccountAdmin+serviceAccountUser]",
    )


@rule(
    id="gcp.resourcemanager.kms_duties_separated",
    title="No member is both Cloud KMS Admin and a key user (encrypter or decrypter)",
    severity="medium",
    category="encryption",
    resource_type=PROJECT,
    rationale="Whoever manages keys should not also use them to read data.",
    remediation="Split Cloud KMS Admin and the CryptoKey Encrypter/Decrypter roles between members.",
)
def kms_duties(resource: ResourceRecord, ctx) -> Verdict:
    return _separation(
        resource,
        "roles/cloudkms.admin",
        KMS_DATA_ROLES,
        "KMS duties are separated",
        "members hold both Cloud KMS Admin and a key-use role",
        "iamPolicy.members[cloudkms.admin+cryptoKey*]",
    )


@rule(
    id="gcp.resourcemanager.audit_logging_all_services",
    title="Data access audit logs are on for all services, with no exempted members",
    severity="medium",
    category="logging",
    resource_type=PROJECT,
    rationale="Data access logs record who read or changed data; exemptions hide a member's actions.",
    remediation="Add an allServices audit config with ADMIN_READ, DATA_READ and DATA_WRITE and no exemptions.",
)
def audit_logging(resource: ResourceRecord, ctx) -> Verdict:
    configs = lookup(resource.config, "iamPolicy.auditConfigs") or []
    every = next((a for a in configs if isinstance(a, dict) and a.get("service") == "allServices"), None)
    logs = (every or {}).get("auditLogConfigs") or []
    types = sorted({str(entry.get("logType")) for entry in logs})
    exempted = sorted(
        {m for a in configs for entry in a.get("auditLogConfigs") or [] for m in entry.get("exemptedMembers") or []}
    )
    complete = {"DATA_READ", "DATA_WRITE", "ADMIN_READ"} <= set(types)
    return unreadable(resource, "iamPolicy") or check(
        complete and not exempted,
        "all services log data access with no exemptions",
        "data access audit logging is incomplete or has exemptions",
        ("iamPolicy.auditConfigs[allServices].logTypes", types),
        ("iamPolicy.auditConfigs[].exemptedMembers", exempted),
    )


@rule(
    id="gcp.resourcemanager.cloud_asset_inventory_enabled",
    title="Cloud Asset Inventory is enabled",
    severity="low",
    category="logging",
    resource_type=PROJECT,
    rationale="Cloud Asset Inventory keeps the history of every resource and policy, needed for investigations.",
    remediation="Enable the Cloud Asset API (cloudasset.googleapis.com).",
)
def asset_inventory(resource: ResourceRecord, ctx) -> Verdict:
    services = resource.config.get("enabledServices")
    return unreadable(resource, "enabledServices") or check(
        "cloudasset.googleapis.com" in (services or []),
        "the Cloud Asset API is enabled",
        "the Cloud Asset API is not enabled",
        ("enabledServices has cloudasset.googleapis.com", "cloudasset.googleapis.com" in (services or [])),
    )
