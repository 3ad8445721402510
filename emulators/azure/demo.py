"""One believable subscription: a well-kept ``platform`` resource group beside a neglected ``legacy`` one.

What is wrong on purpose (the tests assert these failures):

- AKS ``aks-legacy``: no Entra ID integration, local accounts on, public API server without
  authorized IP ranges, no network policy, no Azure Policy add-on, no Defender, no KMS,
  no workload identity, no auto-upgrade, a node pool two minors behind, no host encryption,
  node public IPs, no kube-audit diagnostic setting;
- storage ``stlegacydata``: anonymous blob access with a public container, http allowed,
  TLS 1.0, shared keys, open network, cross-tenant replication, old SMB;
- Application Gateway ``agw-legacy``: no WAF, TLS 1.0; WAF policy ``waf-legacy``: no request body
  inspection, no bot protection;
- NSG ``nsg-legacy``: RDP and SSH from the Internet, DNS (UDP) from anywhere; ``nsg-web``:
  HTTPS from the Internet; flow log of ``nsg-legacy`` kept 30 days without traffic analytics;
- activity log alerts missing for most CIS operations; the subscription diagnostic setting lacks ``Policy``;
- one subscription Owner, a standing User Access Administrator, a custom role with ``*``;
- Defender for Storage, Resource Manager, App Service, SQL, Cosmos DB, APIs off;
- Key Vault ``kv-legacy``: no purge protection, access policies, public, no audit logs;
- registry ``acrlegacy``: admin user, public network, anonymous pull;
- data protection, locks, VPN, HTTP/2, Defender plan extensions and contacts: :func:`.estate_mgmt.management`;
- Key Vault keys, secrets and certificates, Entra ID and Databricks: see :mod:`.estate_identity`;
- Defender's vulnerability assessment of ``acrprod``'s images (:mod:`emulators.images`): one with a CRITICAL
  vulnerability that has a fix, one scanned 45 days ago, one pushed 200 days ago (one is clean).
"""

from __future__ import annotations

from typing import Any

from emulators.azure import estate as e
from emulators.azure import estate_aks_registry, estate_identity, estate_images, estate_managed_identities, estate_mgmt
from emulators.azure import estate_governance as gov
from emulators.azure import estate_network as net
from emulators.azure.estate_vms import add_vms

SUB = e.SUBSCRIPTION
PLATFORM = e.rg_id(SUB, "platform")
WORKSPACE = f"{PLATFORM}/providers/Microsoft.OperationalInsights/workspaces/central-logs"
LOG_STORAGE = f"{PLATFORM}/providers/Microsoft.Storage/storageAccounts/stprodlogs"
CIS_OPERATIONS_ALERTED = (
    "Microsoft.Authorization/policyAssignments/write",
    "Microsoft.Authorization/policyAssignments/delete",
    "Microsoft.Network/networkSecurityGroups/write",
    "Microsoft.Network/networkSecurityGroups/delete",
    "Microsoft.Security/securitySolutions/write",
)


def _aks(resources: list[dict[str, Any]]) -> None:
    prod = e.managed_cluster(
        SUB,
        "platform",
        "aks-prod",
        agentPoolProfiles=[
            e.agent_pool_profile("system", mode="System", count=3),
            e.agent_pool_profile("apps", count=5, vmSize="Standard_D8ds_v5"),
        ],
    )
    legacy = e.managed_cluster(
        SUB,
        "legacy",
        "aks-legacy",
        location="eastus",
        kubernetesVersion="1.29.9",
        currentKubernetesVersion="1.29.9",
        agentPoolProfiles=[
            e.agent_pool_profile(
                "nodepool1",
                mode="System",
                orchestratorVersion="1.29.9",
                currentOrchestratorVersion="1.29.9",
                enableEncryptionAtHost=False,
                osSKU="Ubuntu",
                nodeImageVersion="AKSUbuntu-2204gen2containerd-202405.03.0",
            ),
            e.agent_pool_profile(
                "batch",
                orchestratorVersion="1.27.7",
                currentOrchestratorVersion="1.27.7",
                enableNodePublicIP=True,
                enableEncryptionAtHost=False,
                osSKU="Ubuntu",
                nodeImageVersion="AKSUbuntu-2204gen2containerd-202309.06.0",
            ),
        ],
        addonProfiles={"azurepolicy": {"enabled": False}, "azureKeyvaultSecretsProvider": {"enabled": False}},
        networkProfile={
            "networkPlugin": "kubenet",
            "networkPluginMode": None,
            "networkPolicy": "none",
            "networkDataplane": None,
        },
        autoUpgradeProfile={"upgradeChannel": "none", "nodeOSUpgradeChannel": "None"},
    )
    props = legacy["properties"]
    props["aadProfile"] = None
    props["disableLocalAccounts"] = False
    props["apiServerAccessProfile"] = {"enablePrivateCluster": False, "authorizedIPRanges": []}
    props["securityProfile"] = {"imageCleaner": {"enabled": False}}
    props["oidcIssuerProfile"] = {"enabled": False}
    legacy["sku"] = {"name": "Base", "tier": "Free"}
    resources += [prod, legacy, *e.agent_pools(prod), *e.agent_pools(legacy)]
    resources.append(
        gov.diagnostic_setting(
            prod["id"], "aks-audit", ["kube-audit-admin", "guard", "kube-apiserver"], workspace=WORKSPACE
        )
    )
    resources.append(gov.diagnostic_setting(legacy["id"], "metrics-only", ["cluster-autoscaler"], workspace=WORKSPACE))


# agent pool -> its custom kubelet configuration (KubeletConfig), in the cluster's profile and its agentPools child
AKS_KUBELET = {
    "aks-prod/apps": {"cpuManagerPolicy": "static", "podMaxPids": 4096, "failSwapOn": True},
    "aks-legacy/batch": {"allowedUnsafeSysctls": ["kernel.msg*", "net.ipv4.route.min_pmtu"], "podMaxPids": -1},
}


def _aks_kubelet(resources: list[dict[str, Any]]) -> None:
    """Custom kubelet configurations: one pool tuned safely, one that lets pods set unsafe sysctls."""
    for resource in resources:
        props, kind = resource.get("properties") or {}, str(resource.get("type", "")).lower()
        if kind == "microsoft.containerservice/managedclusters":
            for profile in props.get("agentPoolProfiles") or []:
                if f"{resource['name']}/{profile['name']}" in AKS_KUBELET:
                    profile["kubeletConfig"] = dict(AKS_KUBELET[f"{resource['name']}/{profile['name']}"])
        elif kind == "microsoft.containerservice/managedclusters/agentpools":
            cluster = resource["id"].split("/managedClusters/")[1].split("/")[0]
            if f"{cluster}/{resource['name']}" in AKS_KUBELET:
                props["kubeletConfig"] = dict(AKS_KUBELET[f"{cluster}/{resource['name']}"])


def _storage(resources: list[dict[str, Any]]) -> None:
    logs = e.storage_account(SUB, "platform", "stprodlogs", sku={"name": "Standard_GRS", "tier": "Standard"})
    logs["properties"]["privateEndpointConnections"] = [e.private_endpoint_connection(logs["id"])]
    legacy = e.storage_account(
        SUB,
        "legacy",
        "stlegacydata",
        location="eastus",
        supportsHttpsTrafficOnly=False,
        minimumTlsVersion="TLS1_0",
        allowBlobPublicAccess=True,
        allowSharedKeyAccess=True,
        allowCrossTenantReplication=True,
        defaultToOAuthAuthentication=False,
        publicNetworkAccess="Enabled",
        networkAcls={"bypass": "None", "defaultAction": "Allow"},
    )
    legacy["properties"].pop("keyPolicy")
    legacy["sku"] = {"name": "Standard_LRS", "tier": "Standard"}
    resources += [logs, legacy]
    resources += [e.blob_container(logs, "insights-activity-logs"), e.blob_container(logs, "flowlogs")]
    resources += [e.blob_container(legacy, "public-assets", "Container"), e.blob_container(legacy, "backups")]
    resources.append(e.file_services(logs))
    resources.append(e.file_services(legacy, "SMB2.1;SMB3.0;SMB3.1.1", "AES-128-CCM;AES-128-GCM;AES-256-GCM"))


def _network(resources: list[dict[str, Any]]) -> None:
    app = net.network_security_group(
        SUB,
        "platform",
        "nsg-app",
        rules=[
            lambda nid: net.security_rule(nid, "allow-https-vnet", port="443", source="VirtualNetwork", priority=100),
            lambda nid: net.security_rule(nid, "allow-ssh-bastion", port="22", source="10.0.250.0/26", priority=110),
        ],
    )
    web = net.network_security_group(
        SUB,
        "platform",
        "nsg-web",
        rules=[
            lambda nid: net.security_rule(nid, "allow-https-internet", port="443", source="Internet", priority=100),
        ],
    )
    legacy = net.network_security_group(
        SUB,
        "legacy",
        "nsg-legacy",
        location="eastus",
        rules=[
            lambda nid: net.security_rule(nid, "rdp", port="3389", source="*", priority=100),
            lambda nid: net.security_rule(nid, "ssh", port="20-25", source="Internet", priority=110),
            lambda nid: net.security_rule(nid, "dns", port="53", source="0.0.0.0/0", protocol="Udp", priority=120),
        ],
    )
    watcher = net.network_watcher(SUB, "westeurope")
    hub = net.virtual_network(
        SUB,
        "platform",
        "vnet-hub",
        subnets={"GatewaySubnet": None, "aks-nodes": app["id"], "web": web["id"]},
        ddos_plan=f"{PLATFORM}/providers/Microsoft.Network/ddosProtectionPlans/ddos-hub",
    )
    old = net.virtual_network(SUB, "legacy", "vnet-legacy", "eastus", subnets={"default": None, "db": legacy["id"]})
    resources += [app, web, legacy, watcher, hub, old]
    waf = net.waf_policy(SUB, "platform", "waf-edge")
    lax = net.waf_policy(SUB, "legacy", "waf-legacy", "eastus", body_check=False, bot_manager=False)
    resources += [waf, lax, net.bastion_host(SUB, "platform", "bastion-hub")]
    resources.append(
        net.application_gateway(
            SUB,
            "platform",
            "agw-edge",
            waf_policy=waf["id"],
            ssl_policy={"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
        )
    )
    resources.append(
        net.application_gateway(
            SUB,
            "legacy",
            "agw-legacy",
            "eastus",
            tier="Standard_v2",
            ssl_policy={"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"},
        )
    )
    resources.append(
        net.flow_log(watcher, "fl-nsg-app", app["id"], days=90, workspace=WORKSPACE, storage_id=LOG_STORAGE)
    )
    resources.append(
        net.flow_log(watcher, "fl-nsg-legacy", legacy["id"], days=30, analytics=False, storage_id=LOG_STORAGE)
    )


def _monitor(resources: list[dict[str, Any]]) -> None:
    for n, operation in enumerate(CIS_OPERATIONS_ALERTED):
        resources.append(gov.activity_log_alert(SUB, "platform", f"cis-alert-{n + 1}", operation))
    resources.append(
        gov.activity_log_alert(
            SUB, "platform", "public-ip-write", "Microsoft.Network/publicIPAddresses/write", enabled=False
        )
    )
    resources.append(
        gov.diagnostic_setting(
            f"/subscriptions/{SUB}",
            "activity-to-logs",
            ["Administrative", "Security", "Alert"],
            workspace=WORKSPACE,
            storage=LOG_STORAGE,
        )
    )


def _authorization(resources: list[dict[str, Any]]) -> None:
    sub_scope = f"/subscriptions/{SUB}"
    resources += [
        gov.role_assignment(
            sub_scope, "0b1c0000-0000-4000-8000-000000000001", e.OWNER_ROLE, "a1000000-0000-4000-8000-000000000001"
        ),
        gov.role_assignment(
            sub_scope,
            "0b1c0000-0000-4000-8000-000000000002",
            e.USER_ACCESS_ADMIN_ROLE,
            "a1000000-0000-4000-8000-000000000002",
        ),
        gov.role_assignment(
            sub_scope,
            "0b1c0000-0000-4000-8000-000000000003",
            e.READER_ROLE,
            "a1000000-0000-4000-8000-000000000003",
            "Group",
        ),
        gov.role_assignment(
            PLATFORM, "0b1c0000-0000-4000-8000-000000000004", e.OWNER_ROLE, "a1000000-0000-4000-8000-000000000004"
        ),
        gov.role_assignment(
            PLATFORM,
            "0b1c0000-0000-4000-8000-000000000005",
            e.CONTRIBUTOR_ROLE,
            "a1000000-0000-4000-8000-000000000005",
            "ServicePrincipal",
        ),
        gov.custom_role(SUB, "c0570000-0000-4000-8000-000000000001", "Ops Admin", ["*"]),
        gov.custom_role(
            SUB,
            "c0570000-0000-4000-8000-000000000002",
            "VM Operator",
            ["Microsoft.Compute/virtualMachines/start/action", "Microsoft.Compute/virtualMachines/read"],
        ),
    ]


def _security(resources: list[dict[str, Any]]) -> None:
    on = {"Containers": None, "VirtualMachines": "P2", "KeyVaults": "PerKeyVault", "CloudPosture": None}
    off = [
        "StorageAccounts",
        "Arm",
        "AppServices",
        "SqlServers",
        "SqlServerVirtualMachines",
        "OpenSourceRelationalDatabases",
        "CosmosDbs",
        "Api",
    ]
    for plan, sub_plan in on.items():
        resources.append(gov.pricing(SUB, plan, "Standard", sub_plan))
    for plan in off:
        resources.append(gov.pricing(SUB, plan, "Free"))
    resources.append(gov.security_contact(SUB, severity="High"))


def _vaults(resources: list[dict[str, Any]]) -> None:
    prod = e.key_vault(SUB, "platform", "kv-prod")
    prod["properties"]["privateEndpointConnections"] = [e.private_endpoint_connection(prod["id"])]
    legacy = e.key_vault(
        SUB,
        "legacy",
        "kv-legacy",
        location="eastus",
        enablePurgeProtection=None,
        enableRbacAuthorization=False,
        publicNetworkAccess="Enabled",
        networkAcls={"defaultAction": "Allow"},
        accessPolicies=[
            {
                "tenantId": e.TENANT,
                "objectId": "a1000000-0000-4000-8000-000000000004",
                "permissions": {"keys": ["all"], "secrets": ["all"], "certificates": ["all"]},
            }
        ],
    )
    resources += [prod, legacy]
    resources.append(gov.diagnostic_setting(prod["id"], "audit", [], group="audit", workspace=WORKSPACE))


def _registries(resources: list[dict[str, Any]]) -> None:
    resources.append(e.container_registry(SUB, "platform", "acrprod"))
    legacy = e.container_registry(
        SUB,
        "legacy",
        "acrlegacy",
        location="eastus",
        adminUserEnabled=True,
        publicNetworkAccess="Enabled",
        anonymousPullEnabled=True,
        networkRuleSet={"defaultAction": "Allow"},
    )
    legacy["sku"] = {"name": "Standard", "tier": "Standard"}
    resources.append(legacy)
    estate_aks_registry.kubelet_registry_access(resources)


def _image_scans(resources: list[dict[str, Any]]) -> None:
    resources += estate_images.image_sub_assessments()


def _find(resources: list[dict[str, Any]], suffix: str) -> dict[str, Any]:
    return next(r for r in resources if r["id"].endswith(suffix))


def _evolve(resources: list[dict[str, Any]], step: int) -> None:
    """What changes between the demo's scans: fixes first, then a regression and a new exposure."""
    if step >= 1:  # the team fixes the legacy storage account's transport and anonymous access
        legacy = _find(resources, "/storageAccounts/stlegacydata")["properties"]
        legacy.update(minimumTlsVersion="TLS1_2", supportsHttpsTrafficOnly=True, allowBlobPublicAccess=False)
        _find(resources, "/managedClusters/aks-legacy")["properties"]["networkProfile"]["networkPolicy"] = "calico"
    if step >= 2:  # ... and someone opens RDP on the well-kept NSG and makes the production vault public
        app = _find(resources, "/networkSecurityGroups/nsg-app")
        app["properties"]["securityRules"].append(
            net.security_rule(app["id"], "temp-rdp", port="3389", source="Internet", priority=90)
        )
        _find(resources, "/vaults/kv-prod")["properties"]["publicNetworkAccess"] = "Enabled"


def demo_estate(page_size: int = 3, step: int = 0) -> dict[str, Any]:
    """The demo subscription; a small ``page_size`` makes every list page through ``nextLink``.

    ``step`` 1 and 2 are the same subscription later on (see :func:`_evolve`), for history and drift.
    """
    resources: list[dict[str, Any]] = []
    parts = (_aks, _aks_kubelet, _storage, _network, _monitor, _authorization, _security, _vaults, _registries)
    for part in (*parts, _image_scans, estate_managed_identities.add_identities, add_vms):
        part(resources)
    estate_mgmt.management(resources, SUB)
    _evolve(resources, step)
    estate = {"subscriptions": [e.subscription(SUB, "Production")], "resources": resources, "page_size": page_size}
    return estate_identity.extend(
        estate, SUB, WORKSPACE, f"{PLATFORM}/providers/Microsoft.Network/networkSecurityGroups/nsg-app"
    )
