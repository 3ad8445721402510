"""Key Vault rules: purge protection, RBAC, network, audit logs."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import (
    private_endpoint_verdict,
    settings_sending,
)
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, observed, unreadable

VAULT = "azure.keyvault.vault"
DOCS = "https://learn.microsoft.com/azure/key-vault/general/"


@rule(
    id="azure.keyvault.purge_protection",
    title="Key Vault has soft delete and purge protection",
    severity="high",
    category="encryption",
    resource_type=VAULT,
    rationale="Without purge protection a deleted vault or key can be purged at once, destroying the data it encrypts.",
    remediation="az keyvault update -g RG -n VAULT --enable-purge-protection true",
    references=(DOCS + "soft-delete-overview",),
)
def purge_protection(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    purge = observed(resource.config, "properties.enablePurgeProtection")
    soft = observed(resource.config, "properties.enableSoftDelete")
    return check(
        purge.value is True and soft.value is not False,
        "soft delete and purge protection are on",
        "purge protection is off" if soft.value is not False else "soft delete is off",
        purge,
        soft,
    )


field_rule(
    id="azure.keyvault.rbac_authorization",
    title="Key Vault uses Azure RBAC for data-plane access",
    severity="medium",
    category="identity",
    resource_type=VAULT,
    path="properties.enableRbacAuthorization",
    expect=True,
    ok="data-plane access is governed by Azure RBAC",
    bad="data-plane access is governed by legacy access policies",
    rationale="Azure RBAC scopes access to single keys and secrets, supports PIM and is audited with the rest of "
    "the subscription's roles; access policies do none of that.",
    remediation="Migrate the access policies to role assignments, then az keyvault update -g RG -n VAULT "
    "--enable-rbac-authorization true",
    references=(DOCS + "rbac-migration",),
)
field_rule(
    id="azure.keyvault.public_network_access_disabled",
    title="Key Vault disables public network access",
    severity="medium",
    category="exposure",
    resource_type=VAULT,
    path="properties.publicNetworkAccess",
    expect="Disabled",
    ok="public network access is disabled",
    bad="public network access is {value}",
    rationale="A vault reachable from the Internet depends on credentials alone.",
    remediation="az keyvault update -g RG -n VAULT --public-network-access Disabled (use private endpoints)",
    references=(DOCS + "network-security",),
)


@rule(
    id="azure.keyvault.private_endpoint",
    title="Key Vault is reached through a private endpoint",
    severity="medium",
    category="network",
    resource_type=VAULT,
    rationale="Private endpoints keep vault traffic on the virtual network.",
    remediation="Create a private endpoint for the vault and approve the connection.",
    references=(DOCS + "private-link-service",),
)
def private_endpoint(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    return private_endpoint_verdict(resource)


@rule(
    id="azure.keyvault.audit_logging",
    title="Key Vault sends its AuditEvent logs to a destination",
    severity="medium",
    category="logging",
    resource_type=VAULT,
    rationale="AuditEvent logs record every read of a key or secret; Azure keeps none unless a diagnostic setting "
    "sends them.",
    remediation="Add a diagnostic setting on the vault sending the audit category group (or AuditEvent) to a Log "
    "Analytics workspace or storage account.",
    references=(DOCS + "logging",),
)
def audit_logging(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "the vault's diagnostic settings")
    if problem:
        return problem
    settings = resource.config.get("_diagnosticSettings") or []
    sending = settings_sending(settings, {"AuditEvent"}, {"audit", "allLogs"})
    return check(
        bool(sending),
        f"audit events are sent by {', '.join(sending)}",
        "no diagnostic setting sends the vault's audit events",
        ("_diagnosticSettings", [s.get("name") for s in settings]),
    )
