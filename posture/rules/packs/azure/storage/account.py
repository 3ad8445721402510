"""Storage account and blob container settings: access, transport, network, SMB."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import private_endpoint_verdict
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, observed, unreadable

ACCOUNT = "azure.storage.account"
CONTAINER = "azure.storage.blob_container"
DOCS = "https://learn.microsoft.com/azure/storage/"

field_rule(
    id="azure.storage.blob_anonymous_access_disabled",
    title="Storage account disallows anonymous blob access",
    severity="high",
    category="exposure",
    resource_type=ACCOUNT,
    path="properties.allowBlobPublicAccess",
    expect=False,
    ok="anonymous blob access is disallowed",
    bad="anonymous blob access is allowed (allowBlobPublicAccess = {value})",
    rationale="With anonymous access allowed, one container set to public exposes its blobs to anyone.",
    remediation="az storage account update -g RG -n ACCOUNT --allow-blob-public-access false",
    references=(DOCS + "blobs/anonymous-read-access-prevent",),
)
field_rule(
    id="azure.storage.secure_transfer_required",
    title="Storage account requires secure transfer (https)",
    severity="high",
    category="encryption",
    resource_type=ACCOUNT,
    path="properties.supportsHttpsTrafficOnly",
    expect=True,
    ok="only https requests are accepted",
    bad="plain http requests are accepted",
    rationale="Requests over http carry data and shared-key signatures in clear text.",
    remediation="az storage account update -g RG -n ACCOUNT --https-only true",
    references=(DOCS + "common/storage-require-secure-transfer",),
)
field_rule(
    id="azure.storage.minimum_tls_12",
    title="Storage account requires TLS 1.2 or newer",
    severity="medium",
    category="encryption",
    resource_type=ACCOUNT,
    path="properties.minimumTlsVersion",
    expect=lambda v: v in ("TLS1_2", "TLS1_3"),
    ok="the minimum TLS version is {value}",
    bad="clients may connect with {value}",
    rationale="TLS 1.0 and 1.1 have known weaknesses and are deprecated.",
    remediation="az storage account update -g RG -n ACCOUNT --min-tls-version TLS1_2",
    references=(DOCS + "common/transport-layer-security-configure-minimum-version",),
)
field_rule(
    id="azure.storage.shared_key_access_disabled",
    title="Storage account disallows shared key authorization",
    severity="medium",
    category="identity",
    resource_type=ACCOUNT,
    path="properties.allowSharedKeyAccess",
    expect=False,
    ok="shared key authorization is disallowed: Entra ID only",
    bad="shared key authorization is allowed (allowSharedKeyAccess = {value}; unset means allowed)",
    rationale="Account keys grant full access, never expire and cannot be scoped; Entra ID authorization can.",
    remediation="az storage account update -g RG -n ACCOUNT --allow-shared-key-access false",
    references=(DOCS + "common/shared-key-authorization-prevent",),
)
field_rule(
    id="azure.storage.public_network_access_disabled",
    title="Storage account disables public network access",
    severity="medium",
    category="exposure",
    resource_type=ACCOUNT,
    path="properties.publicNetworkAccess",
    expect="Disabled",
    ok="public network access is disabled",
    bad="public network access is {value}",
    rationale="A storage account reachable from the Internet depends on keys and tokens alone.",
    remediation="az storage account update -g RG -n ACCOUNT --public-network-access Disabled (use private endpoints)",
    references=(DOCS + "common/storage-network-security",),
)
field_rule(
    id="azure.storage.default_network_action_deny",
    title="Storage account denies network access by default",
    severity="medium",
    category="network",
    resource_type=ACCOUNT,
    path="properties.networkAcls.defaultAction",
    expect="Deny",
    ok="the default network action is Deny",
    bad="the default network action is {value}: every network may connect",
    rationale="Denying by default limits access to chosen virtual networks and addresses.",
    remediation="az storage account update -g RG -n ACCOUNT --default-action Deny",
    references=(DOCS + "common/storage-network-security",),
)
field_rule(
    id="azure.storage.trusted_services_bypass",
    title="Storage account lets trusted Azure services through its firewall",
    severity="low",
    category="network",
    resource_type=ACCOUNT,
    path="properties.networkAcls.bypass",
    expect=lambda v: "azureservices" in str(v or "").lower().replace(" ", ""),
    ok="trusted Azure services may bypass the firewall ({value})",
    bad="trusted Azure services are blocked by the firewall (bypass = {value})",
    rationale="Backup, monitoring and Defender need the trusted-services exception once the firewall denies.",
    remediation="az storage account update -g RG -n ACCOUNT --bypass AzureServices",
    references=(DOCS + "common/storage-network-security#grant-access-to-trusted-azure-services",),
)
field_rule(
    id="azure.storage.cross_tenant_replication_disabled",
    title="Storage account disallows cross-tenant replication",
    severity="medium",
    category="encryption",
    resource_type=ACCOUNT,
    path="properties.allowCrossTenantReplication",
    expect=False,
    ok="cross-tenant object replication is disallowed",
    bad="cross-tenant object replication is allowed (allowCrossTenantReplication = {value})",
    rationale="Object replication to another tenant copies data outside the organisation's control.",
    remediation="az storage account update -g RG -n ACCOUNT --allow-cross-tenant-replication false",
    references=(DOCS + "blobs/object-replication-prevent-cross-tenant-policies",),
)
field_rule(
    id="azure.storage.entra_authorization_default",
    title="Storage account defaults to Microsoft Entra authorization in the portal",
    severity="low",
    category="identity",
    resource_type=ACCOUNT,
    path="properties.defaultToOAuthAuthentication",
    expect=True,
    ok="the portal uses Entra ID authorization by default",
    bad="the portal uses account keys by default (defaultToOAuthAuthentication = {value})",
    rationale="Entra ID authorization is audited per user; account keys are not.",
    remediation="az storage account update -g RG -n ACCOUNT --set defaultToOAuthAuthentication=true",
    references=(DOCS + "blobs/authorize-data-operations-portal",),
)
field_rule(
    id="azure.storage.key_rotation_reminder",
    title="Storage account has a key expiration policy (rotation reminders)",
    severity="low",
    category="encryption",
    resource_type=ACCOUNT,
    path="properties.keyPolicy.keyExpirationPeriodInDays",
    expect=lambda v: isinstance(v, int) and v > 0,
    ok="account keys should be rotated every {value} days",
    bad="no key expiration period is set",
    rationale="Without an expiration policy nothing reminds anyone to rotate the account keys.",
    remediation="az storage account update -g RG -n ACCOUNT --key-exp-days 90",
    references=(DOCS + "common/storage-account-keys-manage#create-a-key-expiration-policy",),
)


@rule(
    id="azure.storage.private_endpoint",
    title="Storage account is reached through a private endpoint",
    severity="medium",
    category="network",
    resource_type=ACCOUNT,
    rationale="Private endpoints keep storage traffic on the virtual network and off the Internet.",
    remediation="Create a private endpoint for the account (blob, file ...) and approve the connection.",
    references=(DOCS + "common/storage-private-endpoints",),
)
def private_endpoint(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    return private_endpoint_verdict(resource)


def _smb_only(resource: ResourceRecord, key: str, wanted: str, ok: str, bad: str, unset: str) -> Verdict | None:
    """Whether the file service's SMB ``key`` (a ';'-separated list, empty: no restriction) allows ``wanted`` only."""
    problem = unreadable(resource, "fileServices", "the file service settings")
    if problem:
        return problem
    evidence = observed(resource.config, f"_fileServices.properties.protocolSettings.smb.{key}")
    values = [v.strip() for v in str(evidence.value or "").split(";") if v.strip()]
    return check(values == [wanted], ok, bad + ("" if values else f" (no restriction: {unset})"), evidence)


@rule(
    id="azure.storage.smb_protocol_version",
    title="Storage account's file shares accept SMB 3.1.1 only",
    severity="medium",
    category="encryption",
    resource_type=ACCOUNT,
    rationale="Older SMB versions lack the pre-authentication integrity and encryption of SMB 3.1.1.",
    remediation="az storage account file-service-properties update -g RG --account-name ACCOUNT --versions SMB3.1.1",
    references=(DOCS + "files/files-smb-protocol#smb-security-settings",),
)
def smb_protocol_version(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    ok, bad = "file shares accept SMB 3.1.1 only", "file shares accept older SMB versions"
    return _smb_only(resource, "versions", "SMB3.1.1", ok, bad, "every version")


@rule(
    id="azure.storage.smb_channel_encryption",
    title="Storage account's file shares require AES-256-GCM channel encryption",
    severity="medium",
    category="encryption",
    resource_type=ACCOUNT,
    rationale="AES-128 channel encryption is weaker than the AES-256-GCM that SMB 3.1.1 supports.",
    remediation="az storage account file-service-properties update -g RG --account-name ACCOUNT "
    "--channel-encryption AES-256-GCM",
    references=(DOCS + "files/files-smb-protocol#smb-security-settings",),
)
def smb_channel_encryption(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    ok, bad = "SMB channels use AES-256-GCM only", "SMB channels may use weaker ciphers"
    return _smb_only(resource, "channelEncryption", "AES-256-GCM", ok, bad, "every cipher")


@rule(
    id="azure.storage.container_not_public",
    title="Blob container is not publicly readable",
    severity="high",
    category="exposure",
    resource_type=CONTAINER,
    rationale="A container with public access Blob or Container serves its blobs to anyone with the URL.",
    remediation="az storage container set-permission --account-name ACCOUNT -n CONTAINER --public-access off",
    references=(DOCS + "blobs/anonymous-read-access-configure",),
)
def container_not_public(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    level = observed(resource.config, "properties.publicAccess")
    account_allows = observed(resource.config, "_account.allowBlobPublicAccess")
    public = str(level.value or "None") != "None"
    return check(
        not public or account_allows.value is False,
        "the container is private" if not public else "the container is marked public but the account forbids it",
        f"the container is public ({level.value}) and the account allows anonymous access",
        level,
        account_allows,
    )
