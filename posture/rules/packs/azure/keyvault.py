"""Key Vault rules: purge protection, RBAC, network, audit logs; keys', secrets' and certificates' expiry,
rotation and validity (read from the vault's data plane)."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import (
    private_endpoint_verdict,
    settings_sending,
)
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, errored, lookup, observed, unreadable

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


MAX_NAMED = 20  # objects named in a verdict's evidence; the message gives the full count
MAX_VALIDITY_MONTHS = 12


def _name(item: dict[str, Any]) -> str:
    return str(item.get("kid") or item.get("id") or "").rstrip("/").rsplit("/", 1)[-1]


def _enabled(item: dict[str, Any]) -> bool:
    return lookup(item, "attributes.enabled") is not False


def _listed(resource: ResourceRecord, kind: str, *details: str) -> list[dict[str, Any]] | Verdict:
    """The vault's ``kind`` (keys, secrets, certificates) as read, or the ERROR saying why they were not."""
    for key in (kind, *details):
        problem = unreadable(resource, key, f"the vault's {key}")
        if problem:
            return problem
    items = resource.config.get(f"_{kind}")
    if not isinstance(items, list):
        return errored(f"the vault's {kind} were not read", (f"_{kind}", items))
    return items


def _some(names: dict[str, Any]) -> dict[str, Any]:
    return dict(list(names.items())[:MAX_NAMED])


def _expiry(resource: ResourceRecord, kind: str, rbac: bool) -> Verdict | None:
    """Every enabled key (or secret) of an RBAC (or access-policy) vault has an expiration date."""
    if (lookup(resource.config, "properties.enableRbacAuthorization") is True) is not rbac:
        return None
    items = _listed(resource, kind)
    if isinstance(items, Verdict):
        return items
    enabled = {_name(i): lookup(i, "attributes.exp") for i in items if _enabled(i)}
    never = {name: exp for name, exp in enabled.items() if exp is None}
    return check(
        not never,
        f"all {len(enabled)} enabled {kind} have an expiration date",
        f"{len(never)} of {len(enabled)} enabled {kind} never expire: {', '.join(sorted(never)[:MAX_NAMED])}",
        (f"_{kind}.*.attributes.exp", _some(never or enabled)),
    )


EXPIRY_RATIONALE = (
    "A {what} without an expiration date stays valid forever: a leaked copy never stops working, and nothing "
    "forces its rotation."
)


@rule(
    id="azure.keyvault.rbac_keys_expire",
    title="Keys in Key Vaults using Azure RBAC have an expiration date",
    severity="medium",
    category="encryption",
    resource_type=VAULT,
    rationale=EXPIRY_RATIONALE.format(what="key"),
    remediation="az keyvault key set-attributes --vault-name VAULT -n KEY --expires YYYY-MM-DDTHH:MM:SSZ "
    "(and a rotation policy with expiryTime, so new versions expire too)",
    references=("https://learn.microsoft.com/azure/key-vault/keys/about-keys-details",),
)
def rbac_keys_expire(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _expiry(resource, "keys", rbac=True)


@rule(
    id="azure.keyvault.access_policy_keys_expire",
    title="Keys in Key Vaults using access policies have an expiration date",
    severity="medium",
    category="encryption",
    resource_type=VAULT,
    rationale=EXPIRY_RATIONALE.format(what="key"),
    remediation="az keyvault key set-attributes --vault-name VAULT -n KEY --expires YYYY-MM-DDTHH:MM:SSZ",
    references=("https://learn.microsoft.com/azure/key-vault/keys/about-keys-details",),
)
def access_policy_keys_expire(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _expiry(resource, "keys", rbac=False)


@rule(
    id="azure.keyvault.rbac_secrets_expire",
    title="Secrets in Key Vaults using Azure RBAC have an expiration date",
    severity="medium",
    category="encryption",
    resource_type=VAULT,
    rationale=EXPIRY_RATIONALE.format(what="secret"),
    remediation="az keyvault secret set-attributes --vault-name VAULT -n SECRET --expires YYYY-MM-DDTHH:MM:SSZ",
    references=("https://learn.microsoft.com/azure/key-vault/secrets/about-secrets",),
)
def rbac_secrets_expire(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _expiry(resource, "secrets", rbac=True)


@rule(
    id="azure.keyvault.access_policy_secrets_expire",
    title="Secrets in Key Vaults using access policies have an expiration date",
    severity="medium",
    category="encryption",
    resource_type=VAULT,
    rationale=EXPIRY_RATIONALE.format(what="secret"),
    remediation="az keyvault secret set-attributes --vault-name VAULT -n SECRET --expires YYYY-MM-DDTHH:MM:SSZ",
    references=("https://learn.microsoft.com/azure/key-vault/secrets/about-secrets",),
)
def access_policy_secrets_expire(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _expiry(resource, "secrets", rbac=False)


def _rotates(policy: Any) -> bool:
    actions = lookup(policy, "lifetimeActions") or []
    return any(str(lookup(a, "action.type") or "").lower() == "rotate" for a in actions if isinstance(a, dict))


@rule(
    id="azure.keyvault.key_rotation_enabled",
    title="Key Vault keys rotate automatically (a rotation policy with a Rotate action)",
    severity="medium",
    category="encryption",
    resource_type=VAULT,
    rationale="A key that is never rotated protects ever more data for ever longer; a rotation policy makes Key "
    "Vault create new versions on schedule. Keys backing certificates (managed) renew with their certificate.",
    remediation="az keyvault key rotation-policy update --vault-name VAULT -n KEY --value policy.json "
    '(lifetimeActions: [{"trigger": {"timeAfterCreate": "P18M"}, "action": {"type": "Rotate"}}])',
    references=("https://learn.microsoft.com/azure/key-vault/keys/how-to-configure-key-rotation",),
)
def key_rotation_enabled(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    items = _listed(resource, "keys", "rotationPolicies")
    if isinstance(items, Verdict):
        return items
    own = [i for i in items if _enabled(i) and not i.get("managed")]
    actions = {
        _name(i): [lookup(a, "action.type") for a in lookup(i, "_rotationPolicy.lifetimeActions") or []] for i in own
    }
    manual = sorted(_name(i) for i in own if not _rotates(i.get("_rotationPolicy")))
    return check(
        not manual,
        f"all {len(own)} enabled keys have a rotation policy that rotates them",
        f"{len(manual)} of {len(own)} enabled keys are never rotated automatically: {', '.join(manual[:MAX_NAMED])}",
        ("_keys.*._rotationPolicy.lifetimeActions", _some({n: actions[n] for n in manual} if manual else actions)),
    )


def validity_months(certificate: dict[str, Any]) -> int | None:
    """The policy's ``x509_props.validity_months``; else the issued certificate's nbf-to-exp span in months."""
    months = lookup(certificate, "_policy.x509_props.validity_months")
    if isinstance(months, int) and not isinstance(months, bool):
        return months
    nbf, exp = lookup(certificate, "attributes.nbf"), lookup(certificate, "attributes.exp")
    if isinstance(nbf, int | float) and isinstance(exp, int | float) and exp > nbf:
        return -(-int(exp - nbf) // (31 * 86_400))  # whole months, rounded up
    return None


@rule(
    id="azure.keyvault.certificate_validity_12_months",
    title="Key Vault certificates are valid for 12 months or less",
    severity="low",
    category="encryption",
    resource_type=VAULT,
    rationale="A long-lived certificate keeps a compromised key trusted for years, and makes renewals too rare to be "
    "routine; browsers and public CAs already cap validity near a year.",
    remediation="Set the certificate policy's validity to 12 months or less: az keyvault certificate set-attributes "
    "--vault-name VAULT -n CERT --policy @policy.json (x509_props.validity_months <= 12), then renew it.",
    references=("https://learn.microsoft.com/azure/key-vault/certificates/about-certificates",),
)
def certificate_validity_12_months(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    items = _listed(resource, "certificates", "certificatePolicies")
    if isinstance(items, Verdict):
        return items
    months = {_name(c): validity_months(c) for c in items if _enabled(c)}
    long = {name: m for name, m in months.items() if m is None or m > MAX_VALIDITY_MONTHS}
    return check(
        not long,
        f"all {len(months)} enabled certificates are valid for {MAX_VALIDITY_MONTHS} months or less",
        f"{len(long)} of {len(months)} enabled certificates are valid longer than {MAX_VALIDITY_MONTHS} months "
        f"(or state no validity): {', '.join(sorted(long)[:MAX_NAMED])}",
        ("_certificates.*._policy.x509_props.validity_months", _some(long or months)),
    )
