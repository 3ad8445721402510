"""Azure Databricks rules: VNet injection and its subnets' NSGs, No Public IP, public network access, private
endpoints, diagnostic logs, customer-managed keys, Unity Catalog."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import private_endpoint_verdict, settings_sending
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, errored, lookup, unreadable

WORKSPACE = "azure.databricks.workspace"
DOCS = "https://learn.microsoft.com/azure/databricks/security/"
VNET = "azure.network.virtual_network"
LOG_CATEGORIES = {"accounts", "clusters", "jobs", "notebook", "workspace", "secrets", "dbfs"}

field_rule(
    id="azure.databricks.vnet_injection",
    title="Databricks workspace is deployed in a customer-managed virtual network",
    severity="medium",
    category="network",
    resource_type=WORKSPACE,
    path="properties.parameters.customVirtualNetworkId.value",
    expect=bool,
    ok="the workspace is injected into {value}",
    bad="the workspace runs in a Databricks-managed virtual network",
    rationale="Only a workspace in your own virtual network can have its traffic filtered by your NSGs, routed "
    "through your firewall and reached over private endpoints.",
    remediation="Redeploy the workspace with VNet injection (customVirtualNetworkId, customPublicSubnetName, "
    "customPrivateSubnetName); an existing workspace cannot move out of the managed VNet.",
    references=(DOCS + "network/classic/vnet-inject",),
)
field_rule(
    id="azure.databricks.no_public_ip",
    title="Databricks workspace uses secure cluster connectivity (No Public IP)",
    severity="high",
    category="exposure",
    resource_type=WORKSPACE,
    path="properties.parameters.enableNoPublicIp.value",
    expect=True,
    ok="cluster nodes have no public IP addresses",
    bad="cluster nodes get public IP addresses (enableNoPublicIp {value})",
    rationale="With public IPs every cluster node is reachable from the Internet; secure cluster connectivity "
    "keeps nodes private and opens no inbound port.",
    remediation="az databricks workspace update -g RG -n WORKSPACE --enable-no-public-ip true",
    references=(DOCS + "network/classic/secure-cluster-connectivity",),
)
field_rule(
    id="azure.databricks.public_network_access_disabled",
    title="Databricks workspace disables public network access",
    severity="medium",
    category="exposure",
    resource_type=WORKSPACE,
    path="properties.publicNetworkAccess",
    expect="Disabled",
    ok="public network access is disabled",
    bad="public network access is {value}",
    rationale="A workspace reachable from the Internet depends on credentials alone; with public access off it "
    "answers only through private endpoints.",
    remediation="az databricks workspace update -g RG -n WORKSPACE --public-network-access Disabled "
    "--required-nsg-rules NoAzureDatabricksRules (after creating private endpoints)",
    references=(DOCS + "network/front-end/front-end-private-connect",),
)
field_rule(
    id="azure.databricks.cmk_managed_services",
    title="Databricks managed services data is encrypted with a customer-managed key",
    severity="low",
    category="encryption",
    resource_type=WORKSPACE,
    path="properties.encryption.entities.managedServices.keySource",
    expect=lambda source: str(source or "").lower() == "microsoft.keyvault",
    ok="notebooks, secrets and queries are encrypted with a key from Key Vault",
    bad="notebooks, secrets and queries are encrypted with a Microsoft-managed key",
    rationale="A customer-managed key lets you revoke Databricks' access to the workspace's notebooks, secrets "
    "and queries and audit every use of the key.",
    remediation="az databricks workspace update -g RG -n WORKSPACE --key-source Microsoft.Keyvault "
    "--managed-services-key-vault URI --managed-services-key-name KEY --managed-services-key-version VERSION",
    references=(DOCS + "keys/customer-managed-key-managed-services-azure",),
)
field_rule(
    id="azure.databricks.unity_catalog_enabled",
    title="Databricks workspace is governed by Unity Catalog",
    severity="low",
    category="identity",
    resource_type=WORKSPACE,
    path="properties.isUcEnabled",
    expect=True,
    ok="the workspace is attached to a Unity Catalog metastore",
    bad="the workspace is not attached to a Unity Catalog metastore (isUcEnabled {value})",
    rationale="Without Unity Catalog, data access is governed per workspace by the legacy Hive metastore and table "
    "ACLs: no central grants, lineage or audit of who read which table.",
    remediation="Assign the workspace to the region's Unity Catalog metastore (account console > Catalog > "
    "Metastores > Assign to workspace).",
    references=("https://learn.microsoft.com/azure/databricks/data-governance/unity-catalog/",),
)


@rule(
    id="azure.databricks.private_endpoint",
    title="Databricks workspace is reached through a private endpoint",
    severity="medium",
    category="network",
    resource_type=WORKSPACE,
    rationale="Private endpoints keep users' and clusters' traffic to the workspace on the virtual network.",
    remediation="Create a private endpoint (sub-resource databricks_ui_api) for the workspace and approve it.",
    references=(DOCS + "network/classic/private-link",),
)
def private_endpoint(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    return private_endpoint_verdict(resource)


def _subnet_nsgs(vnet: ResourceRecord, names: list[str]) -> dict[str, Any]:
    """Subnet name -> its NSG id (None: no NSG; 'missing': no such subnet in the virtual network)."""
    subnets = {str(s.get("name", "")).lower(): s for s in lookup(vnet.config, "properties.subnets") or []}
    return {
        name: lookup(subnets[name.lower()], "properties.networkSecurityGroup.id")
        if name.lower() in subnets
        else "missing"
        for name in names
    }


@rule(
    id="azure.databricks.subnets_have_nsg",
    title="Databricks workspace subnets have a network security group",
    severity="medium",
    category="network",
    resource_type=WORKSPACE,
    rationale="The host and container subnets of a VNet-injected workspace carry every cluster's traffic; without "
    "an NSG nothing filters it.",
    remediation="Associate a network security group with both of the workspace's subnets: az network vnet subnet "
    "update -g RG --vnet-name VNET -n SUBNET --network-security-group NSG",
    references=(DOCS + "network/classic/vnet-inject",),
)
def subnets_have_nsg(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    vnet_id = lookup(resource.config, "properties.parameters.customVirtualNetworkId.value")
    if not vnet_id:
        return None  # a Databricks-managed VNet: its NSG is Databricks' own (see vnet_injection)
    names = [
        str(n)
        for n in (
            lookup(resource.config, "properties.parameters.customPublicSubnetName.value"),
            lookup(resource.config, "properties.parameters.customPrivateSubnetName.value"),
        )
        if n
    ]
    vnet = next((v for v in ctx.resources(VNET) if v.uid.lower() == str(vnet_id).lower()), None)
    if vnet is None:
        return errored(
            "the workspace's virtual network was not collected in this scan (another subscription or region?)",
            ("properties.parameters.customVirtualNetworkId.value", vnet_id),
        )
    nsgs = _subnet_nsgs(vnet, names)
    if "missing" in nsgs.values():
        return errored(
            "the virtual network has no subnet of that name", ("subnets.*.properties.networkSecurityGroup.id", nsgs)
        )
    bare = sorted(name for name, nsg in nsgs.items() if not nsg)
    return check(
        bool(names) and not bare,
        f"subnets {', '.join(names)} have network security groups",
        f"subnets without a network security group: {', '.join(bare) or '(none named)'}",
        ("properties.parameters.customVirtualNetworkId.value", vnet_id),
        ("subnets.*.properties.networkSecurityGroup.id", nsgs),
    )


@rule(
    id="azure.databricks.diagnostic_logs",
    title="Databricks workspace sends its diagnostic logs to a destination",
    severity="medium",
    category="logging",
    resource_type=WORKSPACE,
    rationale="Databricks diagnostic logs record logins, cluster, job, notebook and secret activity; Azure keeps "
    "none of them unless a diagnostic setting sends them (Premium tier).",
    remediation="Add a diagnostic setting on the workspace sending allLogs (or the accounts, clusters, jobs, "
    "notebook and secrets categories) to a Log Analytics workspace, storage account or event hub.",
    references=("https://learn.microsoft.com/azure/databricks/admin/account-settings/audit-log-delivery",),
)
def diagnostic_logs(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "the workspace's diagnostic settings")
    if problem:
        return problem
    settings = resource.config.get("_diagnosticSettings") or []
    sending = settings_sending(settings, LOG_CATEGORIES, {"allLogs", "audit"})
    return check(
        bool(sending),
        f"diagnostic logs are sent by {', '.join(sending)}",
        "no diagnostic setting sends the workspace's logs",
        ("_diagnosticSettings", [s.get("name") for s in settings]),
    )
