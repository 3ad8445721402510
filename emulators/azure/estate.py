"""Build an estate for the ARM emulator: subscriptions and resources in the REST API's own JSON.

Each builder returns one resource as ARM answers a GET (shapes as in the
azure-rest-api-specs examples and the SDK models' REST names); keyword
arguments override ``properties`` fields. Networking builders live in
:mod:`.estate_network`, monitoring/RBAC/Defender ones in :mod:`.estate_governance`;
:func:`emulators.azure.demo.demo_estate` is one believable subscription with
well-kept and neglected resources side by side, used by the tests and the demo.
"""

from __future__ import annotations

import copy
from typing import Any

TENANT = "72f988bf-0000-4000-8000-00000000c0de"
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR_ROLE = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER_ROLE = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMIN_ROLE = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` applied, nested mappings merged (neither argument is changed)."""
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def rg_id(sub: str, rg: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}"


def subscription(sub: str = SUBSCRIPTION, name: str = "Production", tenant: str = TENANT) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub}",
        "subscriptionId": sub,
        "tenantId": tenant,
        "displayName": name,
        "state": "Enabled",
        "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01"},
        "authorizationSource": "RoleBased",
    }


def managed_cluster(sub: str, rg: str, name: str, location: str = "westeurope", **props: Any) -> dict[str, Any]:
    cid = f"{rg_id(sub, rg)}/providers/Microsoft.ContainerService/managedClusters/{name}"
    base = {
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
        "kubernetesVersion": "1.30.6",
        "currentKubernetesVersion": "1.30.6",
        "dnsPrefix": name,
        "fqdn": f"{name}-dns-1a2b3c4d.hcp.{location}.azmk8s.io",
        "agentPoolProfiles": [agent_pool_profile("system", mode="System")],
        "servicePrincipalProfile": {"clientId": "msi"},
        "addonProfiles": {
            "azurepolicy": {"enabled": True, "config": None},
            "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "true"}},
        },
        "nodeResourceGroup": f"MC_{rg}_{name}_{location}",
        "enableRBAC": True,
        "supportPlan": "KubernetesOfficial",
        "networkProfile": {
            "networkPlugin": "azure",
            "networkPluginMode": "overlay",
            "networkPolicy": "cilium",
            "networkDataplane": "cilium",
            "loadBalancerSku": "standard",
            "podCidr": "10.244.0.0/16",
            "serviceCidr": "10.0.0.0/16",
            "dnsServiceIP": "10.0.0.10",
            "outboundType": "loadBalancer",
        },
        "aadProfile": {"managed": True, "enableAzureRBAC": True, "tenantID": TENANT, "adminGroupObjectIDs": []},
        "apiServerAccessProfile": {"enablePrivateCluster": True, "enablePrivateClusterPublicFQDN": False},
        "disableLocalAccounts": True,
        "securityProfile": {
            "defender": {
                "logAnalyticsWorkspaceResourceId": f"{rg_id(sub, rg)}/providers/Microsoft.OperationalInsights/"
                "workspaces/security",
                "securityMonitoring": {"enabled": True},
            },
            "azureKeyVaultKms": {
                "enabled": True,
                "keyId": f"https://kv-{name}.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef",
                "keyVaultNetworkAccess": "Private",
                "keyVaultResourceId": f"{rg_id(sub, rg)}/providers/Microsoft.KeyVault/vaults/kv-{name}",
            },
            "workloadIdentity": {"enabled": True},
            "imageCleaner": {"enabled": True, "intervalHours": 48},
        },
        "oidcIssuerProfile": {"enabled": True, "issuerURL": f"https://{location}.oic.prod-aks.azure.com/{TENANT}/x/"},
        "autoUpgradeProfile": {"upgradeChannel": "stable", "nodeOSUpgradeChannel": "NodeImage"},
        "publicNetworkAccess": "Enabled",
        "identityProfile": {
            "kubeletidentity": {
                "resourceId": f"{rg_id(sub, rg)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
                f"{name}-agentpool",
                "clientId": "11111111-2222-3333-4444-555555555555",
                "objectId": "66666666-7777-8888-9999-000000000000",
            }
        },
    }
    return {
        "id": cid,
        "location": location,
        "name": name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "tags": {"env": "prod"},
        "sku": {"name": "Base", "tier": "Standard"},
        "identity": {
            "type": "SystemAssigned",
            "principalId": "aaaaaaaa-0000-0000-0000-000000000001",
            "tenantId": TENANT,
        },
        "properties": merge(base, props),
    }


def agent_pool_profile(name: str, **fields: Any) -> dict[str, Any]:
    base = {
        "name": name,
        "count": 3,
        "vmSize": "Standard_D4ds_v5",
        "osDiskSizeGB": 128,
        "osDiskType": "Ephemeral",
        "maxPods": 110,
        "type": "VirtualMachineScaleSets",
        "availabilityZones": ["1", "2", "3"],
        "enableAutoScaling": True,
        "minCount": 3,
        "maxCount": 6,
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
        "orchestratorVersion": "1.30.6",
        "currentOrchestratorVersion": "1.30.6",
        "enableNodePublicIP": False,
        "enableEncryptionAtHost": True,
        "mode": "User",
        "osType": "Linux",
        "osSKU": "AzureLinux",
        "nodeImageVersion": "AKSAzureLinux-V2gen2-202411.12.0",
        "enableFIPS": False,
    }
    return merge(base, fields)


def agent_pools(cluster: dict[str, Any]) -> list[dict[str, Any]]:
    """The cluster's agentPools child resources (what ``agentPools`` lists), from its profiles."""
    pools = []
    for profile in cluster["properties"]["agentPoolProfiles"]:
        props = {k: v for k, v in profile.items() if k != "name"}
        pools.append(
            {
                "id": f"{cluster['id']}/agentPools/{profile['name']}",
                "name": profile["name"],
                "type": "Microsoft.ContainerService/managedClusters/agentPools",
                "properties": props,
            }
        )
    return pools


def storage_account(sub: str, rg: str, name: str, location: str = "westeurope", **props: Any) -> dict[str, Any]:
    base = {
        "provisioningState": "Succeeded",
        "creationTime": "2024-03-01T09:00:00.0000000Z",
        "primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/"},
        "primaryLocation": location,
        "statusOfPrimary": "available",
        "supportsHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": False,
        "allowCrossTenantReplication": False,
        "defaultToOAuthAuthentication": True,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Deny"},
        "encryption": {
            "services": {
                "blob": {"enabled": True, "keyType": "Account", "lastEnabledTime": "2024-03-01T09:00:00Z"},
                "file": {"enabled": True, "keyType": "Account", "lastEnabledTime": "2024-03-01T09:00:00Z"},
            },
            "keySource": "Microsoft.Storage",
            "requireInfrastructureEncryption": True,
        },
        "keyPolicy": {"keyExpirationPeriodInDays": 90},
        "keyCreationTime": {"key1": "2024-03-01T09:00:00.0000000Z", "key2": "2024-03-01T09:00:00.0000000Z"},
        "privateEndpointConnections": [],
        "accessTier": "Hot",
    }
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.Storage/storageAccounts/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": location,
        "kind": "StorageV2",
        "sku": {"name": "Standard_GRS", "tier": "Standard"},
        "tags": {},
        "properties": merge(base, props),
    }


def blob_container(account: dict[str, Any], name: str, public_access: str = "None") -> dict[str, Any]:
    return {
        "id": f"{account['id']}/blobServices/default/containers/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": '"0x8D589847D51C7DE"',
        "properties": {
            "publicAccess": public_access,
            "leaseStatus": "Unlocked",
            "leaseState": "Available",
            "lastModifiedTime": "2024-03-01T09:00:00Z",
            "hasImmutabilityPolicy": False,
            "hasLegalHold": False,
        },
    }


def file_services(account: dict[str, Any], versions: str = "SMB3.1.1", channel: str = "AES-256-GCM") -> dict[str, Any]:
    return {
        "id": f"{account['id']}/fileServices/default",
        "name": "default",
        "type": "Microsoft.Storage/storageAccounts/fileServices",
        "sku": account["sku"],
        "properties": {
            "cors": {"corsRules": []},
            "shareDeleteRetentionPolicy": {"enabled": True, "days": 7},
            "protocolSettings": {"smb": {"versions": versions, "channelEncryption": channel}},
        },
    }


def key_vault(sub: str, rg: str, name: str, location: str = "westeurope", **props: Any) -> dict[str, Any]:
    base = {
        "tenantId": TENANT,
        "sku": {"family": "A", "name": "standard"},
        "accessPolicies": [],
        "enabledForDeployment": False,
        "enabledForDiskEncryption": False,
        "enabledForTemplateDeployment": False,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": True,
        "enablePurgeProtection": True,
        "vaultUri": f"https://{name}.vault.azure.net/",
        "provisioningState": "Succeeded",
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []},
        "privateEndpointConnections": [],
    }
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.KeyVault/vaults/{name}",
        "name": name,
        "type": "Microsoft.KeyVault/vaults",
        "location": location,
        "tags": {},
        "properties": merge(base, props),
    }


def private_endpoint_connection(resource_id: str, name: str = "pe-1") -> dict[str, Any]:
    return {
        "id": f"{resource_id}/privateEndpointConnections/{name}",
        "properties": {
            "privateEndpoint": {
                "id": f"{resource_id.rsplit('/providers/', 1)[0]}/providers/Microsoft.Network/privateEndpoints/{name}"
            },
            "privateLinkServiceConnectionState": {"status": "Approved", "description": "", "actionsRequired": "None"},
            "provisioningState": "Succeeded",
        },
    }


def container_registry(sub: str, rg: str, name: str, location: str = "westeurope", **props: Any) -> dict[str, Any]:
    base = {
        "loginServer": f"{name}.azurecr.io",
        "creationDate": "2024-01-15T08:00:00.0000000Z",
        "provisioningState": "Succeeded",
        "adminUserEnabled": False,
        "publicNetworkAccess": "Disabled",
        "anonymousPullEnabled": False,
        "networkRuleBypassOptions": "AzureServices",
        "networkRuleSet": {"defaultAction": "Deny", "ipRules": []},
        "policies": {
            "quarantinePolicy": {"status": "disabled"},
            "trustPolicy": {"type": "Notary", "status": "disabled"},
            "retentionPolicy": {"days": 7, "status": "disabled"},
            "exportPolicy": {"status": "enabled"},
        },
        "encryption": {"status": "disabled"},
        "dataEndpointEnabled": False,
        "zoneRedundancy": "Disabled",
    }
    return {
        "id": f"{rg_id(sub, rg)}/providers/Microsoft.ContainerRegistry/registries/{name}",
        "name": name,
        "type": "Microsoft.ContainerRegistry/registries",
        "location": location,
        "tags": {},
        "sku": {"name": "Premium", "tier": "Premium"},
        "properties": merge(base, props),
    }
