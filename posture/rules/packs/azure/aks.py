"""AKS cluster and node pool rules: managed-service and container-stack checks."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.azure.helpers import ci_get, minor, props, settings_sending
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Evidence, Verdict, check, failed, observed, passed, unreadable

CLUSTER = "azure.aks.managed_cluster"
POOL = "azure.aks.agent_pool"
AKS_DOCS = "https://learn.microsoft.com/azure/aks/"
NETWORK_POLICIES = {"azure", "calico", "cilium"}


def network_policy(value: object) -> str:
    """The network policy engine a cluster names, lowercased ("none" when unset)."""
    return str(value or "none").lower()


field_rule(
    id="azure.aks.rbac_enabled",
    title="AKS cluster has Kubernetes RBAC enabled",
    severity="high",
    category="cluster",
    resource_type=CLUSTER,
    path="properties.enableRBAC",
    expect=True,
    ok="Kubernetes RBAC is enabled",
    bad="Kubernetes RBAC is disabled",
    rationale="Without Kubernetes RBAC every authenticated identity can do anything in the cluster.",
    remediation="Kubernetes RBAC is set at creation: recreate the cluster with RBAC enabled (the default).",
    references=(AKS_DOCS + "concepts-identity#kubernetes-rbac",),
)


field_rule(
    id="azure.aks.entra_id_integration",
    title="AKS cluster authenticates users with Microsoft Entra ID",
    severity="high",
    category="identity",
    resource_type=CLUSTER,
    path="properties.aadProfile.managed",
    expect=True,
    ok="managed Entra ID integration is on",
    bad="the cluster does not use managed Entra ID integration",
    rationale="Entra ID integration ties cluster access to managed identities with MFA, conditional access and "
    "central offboarding instead of static client certificates.",
    remediation="az aks update -g RG -n CLUSTER --enable-aad --aad-admin-group-object-ids GROUP_ID",
    references=(AKS_DOCS + "enable-authentication-microsoft-entra-id",),
)


field_rule(
    id="azure.aks.azure_rbac_for_kubernetes",
    title="AKS cluster uses Azure RBAC for Kubernetes authorization",
    severity="medium",
    category="identity",
    resource_type=CLUSTER,
    path="properties.aadProfile.enableAzureRBAC",
    expect=True,
    ok="Azure RBAC for Kubernetes authorization is on",
    bad="Azure RBAC for Kubernetes authorization is off",
    rationale="Azure RBAC for Kubernetes lets role assignments in Azure govern cluster access, reviewed and audited "
    "with the rest of the subscription's access.",
    remediation="az aks update -g RG -n CLUSTER --enable-azure-rbac",
    references=(AKS_DOCS + "manage-azure-rbac",),
)


field_rule(
    id="azure.aks.local_accounts_disabled",
    title="AKS cluster has local accounts disabled",
    severity="high",
    category="identity",
    resource_type=CLUSTER,
    path="properties.disableLocalAccounts",
    expect=True,
    ok="local accounts are disabled",
    bad="local accounts (the static cluster-admin credential) are enabled",
    rationale="The local cluster-admin account's certificate cannot be revoked per user and bypasses Entra ID.",
    remediation="az aks update -g RG -n CLUSTER --disable-local-accounts (needs Entra ID integration)",
    references=(AKS_DOCS + "manage-local-accounts-managed-azure-ad",),
)


@rule(
    id="azure.aks.api_server_access_restricted",
    title="AKS API server is private or limited to authorized IP ranges",
    severity="high",
    category="exposure",
    resource_type=CLUSTER,
    rationale="A public API server open to every address is exposed to credential stuffing and API exploits.",
    remediation="Use a private cluster, or az aks update -g RG -n CLUSTER --api-server-authorized-ip-ranges CIDRS",
    references=(AKS_DOCS + "api-server-authorized-ip-ranges",),
)
def api_server_access_restricted(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    access = props(resource).get("apiServerAccessProfile") or {}
    private = access.get("enablePrivateCluster") is True
    ranges = access.get("authorizedIPRanges") or []
    open_ranges = [r for r in ranges if r in ("0.0.0.0/0", "*")]
    return check(
        private or (bool(ranges) and not open_ranges),
        "the API server is private" if private else f"the API server accepts {len(ranges)} authorized range(s) only",
        "the API server is public and open to every address",
        observed(resource.config, "properties.apiServerAccessProfile.enablePrivateCluster"),
        observed(resource.config, "properties.apiServerAccessProfile.authorizedIPRanges"),
    )


field_rule(
    id="azure.aks.private_cluster",
    title="AKS cluster is private (API server on a private endpoint)",
    severity="medium",
    category="exposure",
    resource_type=CLUSTER,
    path="properties.apiServerAccessProfile.enablePrivateCluster",
    expect=True,
    ok="the API server is reachable on a private endpoint only",
    bad="the API server has a public endpoint",
    rationale="A private cluster's API server has no public endpoint at all.",
    remediation="Create the cluster with --enable-private-cluster (or enable API server VNet integration and "
    "private access).",
    references=(AKS_DOCS + "private-clusters",),
)


field_rule(
    id="azure.aks.network_policy_set",
    title="AKS cluster enforces network policies",
    severity="medium",
    category="network",
    resource_type=CLUSTER,
    path="properties.networkProfile.networkPolicy",
    expect=lambda value: network_policy(value) in NETWORK_POLICIES,
    ok=lambda value: f"network policies are enforced by {network_policy(value)}",
    bad="no network policy engine is set",
    rationale="Without a network policy engine every pod can reach every other pod; NetworkPolicy objects are "
    "silently ignored.",
    remediation="az aks update -g RG -n CLUSTER --network-policy azure|calico|cilium",
    references=(AKS_DOCS + "use-network-policies",),
)


@rule(
    id="azure.aks.azure_policy_addon",
    title="AKS cluster runs the Azure Policy add-on",
    severity="medium",
    category="workload",
    resource_type=CLUSTER,
    rationale="The Azure Policy add-on (Gatekeeper) enforces admission policies such as allowed registries and "
    "no privileged containers.",
    remediation="az aks enable-addons -g RG -n CLUSTER --addons azure-policy",
    references=(AKS_DOCS + "use-azure-policy",),
)
def azure_policy_addon(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    addon = ci_get(props(resource).get("addonProfiles"), "azurepolicy") or {}
    return check(
        addon.get("enabled") is True,
        "the Azure Policy add-on is enabled",
        "the Azure Policy add-on is not enabled",
        ("properties.addonProfiles.azurepolicy.enabled", addon.get("enabled")),
    )


@rule(
    id="azure.aks.keyvault_secrets_provider",
    title="AKS cluster can mount secrets from Key Vault (Secrets Store CSI driver)",
    severity="low",
    category="encryption",
    resource_type=CLUSTER,
    rationale="Keeping secrets in Key Vault and mounting them as files keeps them out of etcd and out of "
    "environment variables.",
    remediation="az aks enable-addons -g RG -n CLUSTER --addons azure-keyvault-secrets-provider",
    references=(AKS_DOCS + "csi-secrets-store-driver",),
)
def keyvault_secrets_provider(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    addon = ci_get(props(resource).get("addonProfiles"), "azureKeyvaultSecretsProvider") or {}
    return check(
        addon.get("enabled") is True,
        "the Key Vault secrets provider add-on is enabled",
        "the Key Vault secrets provider add-on is not enabled",
        ("properties.addonProfiles.azureKeyvaultSecretsProvider.enabled", addon.get("enabled")),
    )


field_rule(
    id="azure.aks.defender_enabled",
    title="AKS cluster runs the Defender for Containers sensor",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    path="properties.securityProfile.defender.securityMonitoring.enabled",
    expect=True,
    ok="Defender security monitoring is enabled on the cluster",
    bad="Defender security monitoring is not enabled on the cluster",
    rationale="The Defender sensor reports runtime threats and feeds vulnerability findings for the cluster.",
    remediation="Turn on the Defender for Containers plan, or az aks update -g RG -n CLUSTER --enable-defender",
    references=("https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-enable",),
)


@rule(
    id="azure.aks.kms_etcd_encryption",
    title="AKS cluster encrypts Kubernetes secrets with a Key Vault key (KMS)",
    severity="medium",
    category="encryption",
    resource_type=CLUSTER,
    rationale="KMS envelope encryption protects secrets in etcd with a key the customer controls and can revoke.",
    remediation="az aks update -g RG -n CLUSTER --enable-azure-keyvault-kms --azure-keyvault-kms-key-id KEY_ID",
    references=(AKS_DOCS + "use-kms-etcd-encryption",),
)
def kms_etcd_encryption(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    path = "properties.securityProfile.azureKeyVaultKms.enabled"
    return check(
        observed(resource.config, path).value is True,
        "etcd secrets are encrypted with a Key Vault key",
        "etcd secrets are not encrypted with a customer-managed Key Vault key",
        observed(resource.config, path),
        observed(resource.config, "properties.securityProfile.azureKeyVaultKms.keyVaultNetworkAccess"),
    )


@rule(
    id="azure.aks.kube_audit_logs_exported",
    title="AKS cluster exports kube-audit logs",
    severity="high",
    category="logging",
    resource_type=CLUSTER,
    rationale="The Kubernetes audit log is the record of who did what in the cluster; AKS keeps it only if a "
    "diagnostic setting sends it somewhere.",
    remediation="Add a diagnostic setting on the cluster sending kube-audit or kube-audit-admin to a Log Analytics "
    "workspace or storage account.",
    references=(AKS_DOCS + "monitor-aks#aks-control-planeresource-logs",),
)
def kube_audit_logs_exported(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    problem = unreadable(resource, "diagnosticSettings", "the cluster's diagnostic settings")
    if problem:
        return problem
    settings = resource.config.get("_diagnosticSettings") or []
    sending = settings_sending(settings, {"kube-audit", "kube-audit-admin"}, {"audit", "allLogs"})
    return check(
        bool(sending),
        f"kube-audit logs are exported by {', '.join(sending)}",
        "no diagnostic setting exports kube-audit logs",
        ("_diagnosticSettings", [s.get("name") for s in settings]),
    )


field_rule(
    id="azure.aks.auto_upgrade_channel",
    title="AKS cluster has an automatic upgrade channel",
    severity="low",
    category="cluster",
    resource_type=CLUSTER,
    path="properties.autoUpgradeProfile.upgradeChannel",
    expect=lambda value: str(value or "none").lower() != "none",
    ok=lambda value: f"the cluster upgrades automatically ({value or 'none'})",
    bad="the cluster has no automatic upgrade channel",
    rationale="An auto-upgrade channel keeps the control plane and nodes on supported, patched Kubernetes versions.",
    remediation="az aks update -g RG -n CLUSTER --auto-upgrade-channel patch|stable|rapid|node-image",
    references=(AKS_DOCS + "auto-upgrade-cluster",),
)


field_rule(
    id="azure.aks.node_os_upgrade_channel",
    title="AKS node OS images are patched automatically",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    path="properties.autoUpgradeProfile.nodeOSUpgradeChannel",
    expect=lambda value: str(value or "None").lower() in ("nodeimage", "securitypatch"),
    ok=lambda value: f"node OS images are patched by the {value or 'None'} channel",
    bad=lambda value: f"node OS images are not patched automatically (channel {value or 'None'})",
    rationale="Node images carry the OS, container runtime and CNI; the NodeImage or SecurityPatch channel keeps "
    "them patched without waiting for a Kubernetes upgrade.",
    remediation="az aks update -g RG -n CLUSTER --node-os-upgrade-channel NodeImage",
    references=(AKS_DOCS + "auto-upgrade-node-os-image",),
)


@rule(
    id="azure.aks.workload_identity",
    title="AKS cluster uses workload identity",
    severity="medium",
    category="identity",
    resource_type=CLUSTER,
    rationale="Workload identity gives each application its own federated Entra identity instead of node-wide "
    "managed identities or secrets in the cluster.",
    remediation="az aks update -g RG -n CLUSTER --enable-oidc-issuer --enable-workload-identity",
    references=(AKS_DOCS + "workload-identity-overview",),
)
def workload_identity(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    enabled = observed(resource.config, "properties.securityProfile.workloadIdentity.enabled")
    issuer = observed(resource.config, "properties.oidcIssuerProfile.enabled")
    return check(
        enabled.value is True and issuer.value is True,
        "workload identity and the OIDC issuer are enabled",
        "workload identity is not enabled",
        enabled,
        issuer,
    )


@rule(
    id="azure.aks.node_pool_version_current",
    title="AKS node pool runs the control plane's Kubernetes minor version",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    rationale="Node pools left behind the control plane miss kubelet fixes and drift out of the supported skew.",
    remediation="az aks nodepool upgrade -g RG --cluster-name CLUSTER -n POOL --kubernetes-version VERSION",
    references=(AKS_DOCS + "upgrade-aks-cluster",),
)
def node_pool_version_current(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    pool_version = props(resource).get("currentOrchestratorVersion") or props(resource).get("orchestratorVersion")
    cluster = resource.config.get("_cluster") or {}
    plane_version = cluster.get("currentKubernetesVersion") or cluster.get("kubernetesVersion")
    pool, plane = minor(pool_version), minor(plane_version)
    if pool is None or plane is None:
        return None
    evidence = (
        ("properties.currentOrchestratorVersion", pool_version),
        ("_cluster.currentKubernetesVersion", plane_version),
    )
    if pool >= plane:
        return passed(f"the node pool runs {pool_version}, as the control plane", *evidence)
    return failed(f"the node pool runs {pool_version}, behind the control plane's {plane_version}", *evidence)


field_rule(
    id="azure.aks.node_pool_host_encryption",
    title="AKS node pool encrypts at the host",
    severity="low",
    category="encryption",
    resource_type=POOL,
    path="properties.enableEncryptionAtHost",
    expect=True,
    ok="encryption at host is on",
    bad="encryption at host is off",
    rationale="Encryption at host also covers temporary disks and OS disk caches, which server-side encryption "
    "does not.",
    remediation="Create node pools with --enable-encryption-at-host and move workloads to them.",
    references=(AKS_DOCS + "enable-host-encryption",),
)


field_rule(
    id="azure.aks.node_pool_private_nodes",
    title="AKS node pool gives nodes no public IP addresses",
    severity="high",
    category="exposure",
    resource_type=POOL,
    path="properties.enableNodePublicIP",
    expect=lambda value: value is not True,
    ok="nodes have no public IP addresses",
    bad="every node of the pool gets a public IP address",
    rationale="Nodes with public IPs expose the kubelet and SSH to the Internet.",
    remediation="Create node pools without --enable-node-public-ip and move workloads to them.",
    references=(AKS_DOCS + "use-node-public-ips",),
)


field_rule(
    id="azure.aks.node_pool_no_unsafe_sysctls",
    title="AKS node pool lets no pod set unsafe sysctls",
    severity="medium",
    category="workload",
    resource_type=POOL,
    path="properties.kubeletConfig.allowedUnsafeSysctls",
    expect=lambda value: not value,
    ok="the kubelet allows only the safe, namespaced sysctls",
    bad=lambda value: f"the kubelet lets pods set unsafe sysctls: {', '.join(map(str, value or []))}",
    rationale="An unsafe sysctl is not isolated per pod: a pod allowed to set it changes the kernel for every "
    "pod on the node, and can starve or destabilize them. AKS allows none unless the pool's custom kubelet "
    "configuration lists them.",
    remediation="Create the node pool with a kubelet configuration without allowedUnsafeSysctls, and move the "
    "workloads that need a sysctl to a dedicated, tainted pool.",
    references=(
        AKS_DOCS + "custom-node-configuration",
        "https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/",
    ),
)


# AKS's Linux node images (nodeImageVersion "AKSUbuntu-2204gen2containerd-202411.12.0", "AKSAzureLinux-V2gen2-...")
# come with AKS's node set-up: the kubelet kubeconfig, its configuration and azure.json root-owned and not
# world-readable beyond 644 (azure.json 600), the kubelet run with AKS's hardened flags. Ubuntu 16.04 and 18.04
# images are retired: no fixes, and no AKS version that still supports them.
AKS_LINUX_IMAGES = ("AKSUbuntu-", "AKSAzureLinux-", "AKSCBLMariner-")
RETIRED_IMAGES = ("AKSUbuntu-1604", "AKSUbuntu-1804")


@rule(
    id="azure.aks.node_pool_supported_node_image",
    title="AKS Linux node pool runs a supported AKS node image",
    severity="medium",
    category="cluster",
    resource_type=POOL,
    rationale="AKS's supported node images keep the kubelet's kubeconfig and configuration files and "
    "azure.json root-owned and not world-writable, and run the kubelet with AKS's hardened defaults; a "
    "retired image (Ubuntu 18.04) gets neither fixes nor AKS's current set-up.",
    remediation="az aks nodepool add -g RG --cluster-name CLUSTER -n POOL --os-sku AzureLinux (or Ubuntu), "
    "move the workloads, and delete the old pool; keep images current with az aks nodepool upgrade "
    "--node-image-only.",
    references=(AKS_DOCS + "node-images", AKS_DOCS + "security-hardened-vm-host-image"),
)
def node_pool_supported_node_image(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if str(props(resource).get("osType") or "Linux").lower() == "windows":
        return None  # the worker node files judged here are Linux paths
    image = observed(resource.config, "properties.nodeImageVersion")
    sku = observed(resource.config, "properties.osSKU")
    if not image.value:
        return None  # AKS reports the image once the pool is provisioned
    version = str(image.value)
    if version.startswith(RETIRED_IMAGES):
        return failed(f"{version} is a retired AKS node image (Ubuntu 18.04 or older)", image, sku)
    return check(
        version.startswith(AKS_LINUX_IMAGES),
        f"{version} is a supported AKS node image, with AKS's kubelet files and defaults",
        f"{version} is not an AKS Linux node image",
        image,
        sku,
    )


# Built-in roles that let their holder push, sign or delete images in a registry in their scope
REGISTRY_WRITE_ROLES = {
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "c2f4ef07-c644-48eb-af81-4b1b4947fb11": "AcrDelete",
    "6cef56e8-d556-48e5-a04f-b8e64114680f": "AcrImageSigner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
}
REGISTRY_WRITE_ACTIONS = ("microsoft.containerregistry/registries/push/write", "microsoft.containerregistry/*")


def _covers(scope: str, resource_id: str) -> bool:
    scope, resource_id = scope.lower().rstrip("/"), resource_id.lower()
    return resource_id == scope or resource_id.startswith(scope + "/")


def _custom_writes(definition_id: str, ctx: RuleContext) -> bool:
    """Whether a custom role (by its definition id) grants registry writes (an action that covers a push)."""
    guid = definition_id.lower().rstrip("/").rsplit("/", 1)[-1]
    for definition in ctx.resources("azure.authorization.role_definition"):
        if str(definition.config.get("name", "")).lower() != guid:
            continue
        for permission in props(definition).get("permissions") or []:
            actions = [str(a).lower() for a in (permission or {}).get("actions") or []]
            if any(a == "*" or a in REGISTRY_WRITE_ACTIONS for a in actions):
                return True
    return False


@rule(
    id="azure.aks.kubelet_identity_registry_pull_only",
    title="AKS kubelet identity can pull from container registries but not push",
    severity="medium",
    category="identity",
    resource_type=CLUSTER,
    rationale="Every node pulls images as the cluster's kubelet identity, and every pod on a node can obtain "
    "its token from the instance metadata service. Holding AcrPush, Contributor or Owner on a registry, it "
    "lets one compromised pod replace the images other clusters pull.",
    remediation="az role assignment create --assignee KUBELET-OBJECT-ID --role AcrPull --scope REGISTRY-ID "
    "(or az aks update --attach-acr), and delete the kubelet identity's other assignments on registries.",
    references=(AKS_DOCS + "cluster-container-registry-integration",),
)
def kubelet_identity_registry_pull_only(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    kubelet = observed(resource.config, "properties.identityProfile.kubeletidentity.objectId")
    listings = ctx.resources("azure.authorization.role_assignments")
    if not kubelet.value or not listings:
        return None  # a service-principal cluster, or the role assignments were not read
    registries = [str(r.config.get("id", "")) for r in ctx.resources("azure.acr.registry")]
    on_registries, writes = [], []
    for listing in listings:
        for assignment in listing.config.get("roleAssignments") or []:
            p = (assignment or {}).get("properties") or {}
            scope = str(p.get("scope") or "")
            if p.get("principalId") != kubelet.value or not any(_covers(scope, r) for r in registries):
                continue
            definition = str(p.get("roleDefinitionId") or "")
            role = REGISTRY_WRITE_ROLES.get(definition.lower().rstrip("/").rsplit("/", 1)[-1])
            on_registries.append({"scope": scope, "roleDefinitionId": definition})
            if role or _custom_writes(definition, ctx):
                writes.append(f"{role or 'a custom role that pushes'} on {scope}")
    return check(
        not writes,
        f"{len(on_registries)} registry role assignments, none of them writes",
        f"the kubelet identity holds {'; '.join(writes)}",
        kubelet,
        Evidence("roleAssignmentsOnRegistries", on_registries),
    )
