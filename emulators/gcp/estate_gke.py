"""GKE clusters for the demo estate: one kept to the CIS GKE benchmark, one left as created years ago."""

from __future__ import annotations

import base64
from typing import Any

CONTAINER = "https://container.googleapis.com/v1"


def hardened_cluster(project: str, number: str, location: str = "europe-west1") -> dict[str, Any]:
    name = "payments"
    base = f"projects/{project}/locations/{location}/clusters/{name}"
    key = f"projects/{project}/locations/{location}/keyRings/gke/cryptoKeys"
    pool_config = {
        "machineType": "e2-standard-4",
        "diskSizeGb": 100,
        "diskType": "pd-balanced",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": f"gke-nodes@{project}.iam.gserviceaccount.com",
        "metadata": {"disable-legacy-endpoints": "true"},
        "imageType": "COS_CONTAINERD",
        "labels": {"team": "payments"},
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableIntegrityMonitoring": True},
        "bootDiskKmsKey": f"{key}/gke-boot",
        "resourceLabels": {"env": "prod"},
    }
    return {
        "name": name,
        "description": "payments platform",
        "nodeConfig": pool_config,
        "masterAuth": {
            "clusterCaCertificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=",
            "clientCertificateConfig": {},
        },
        "loggingService": "logging.googleapis.com/kubernetes",
        "monitoringService": "monitoring.googleapis.com/kubernetes",
        "network": "prod-vpc",
        "clusterIpv4Cidr": "10.4.0.0/14",
        "addonsConfig": {
            "httpLoadBalancing": {},
            "horizontalPodAutoscaling": {},
            "kubernetesDashboard": {"disabled": True},
            "networkPolicyConfig": {"disabled": True},
            "gcePersistentDiskCsiDriverConfig": {"enabled": True},
        },
        "subnetwork": "prod-europe-west1",
        "nodePools": [
            {
                "name": "default-pool",
                "config": pool_config,
                "initialNodeCount": 1,
                "locations": [f"{location}-b", f"{location}-c", f"{location}-d"],
                "networkConfig": {"podRange": "pods", "podIpv4CidrBlock": "10.4.0.0/14", "enablePrivateNodes": True},
                "selfLink": f"{CONTAINER}/{base}/nodePools/default-pool",
                "version": "1.30.5-gke.1014001",
                "status": "RUNNING",
                "autoscaling": {"enabled": True, "minNodeCount": 1, "maxNodeCount": 5, "locationPolicy": "BALANCED"},
                "management": {"autoUpgrade": True, "autoRepair": True},
                "maxPodsConstraint": {"maxPodsPerNode": "110"},
                "podIpv4CidrSize": 24,
                "upgradeSettings": {"maxSurge": 1, "strategy": "SURGE"},
                "etag": "a1b2c3",
            },
            {
                "name": "untrusted",
                "config": {**pool_config, "sandboxConfig": {"type": "GVISOR"}, "labels": {"sandbox": "gvisor"}},
                "initialNodeCount": 1,
                "locations": [f"{location}-b"],
                "networkConfig": {"podRange": "pods", "podIpv4CidrBlock": "10.4.0.0/14", "enablePrivateNodes": True},
                "selfLink": f"{CONTAINER}/{base}/nodePools/untrusted",
                "version": "1.30.5-gke.1014001",
                "status": "RUNNING",
                "management": {"autoUpgrade": True, "autoRepair": True},
                "podIpv4CidrSize": 24,
                "etag": "d4e5f6",
            },
        ],
        "locations": [f"{location}-b", f"{location}-c", f"{location}-d"],
        "resourceLabels": {"env": "prod", "team": "payments"},
        "labelFingerprint": "a9dc16a7",
        "legacyAbac": {},
        "networkPolicy": {},
        "ipAllocationPolicy": {
            "useIpAliases": True,
            "clusterSecondaryRangeName": "pods",
            "servicesSecondaryRangeName": "services",
            "clusterIpv4CidrBlock": "10.4.0.0/14",
            "servicesIpv4CidrBlock": "10.8.0.0/20",
            "stackType": "IPV4",
        },
        "masterAuthorizedNetworksConfig": {
            "enabled": True,
            "cidrBlocks": [{"displayName": "corp-vpn", "cidrBlock": "203.0.113.0/24"}],
            "gcpPublicCidrsAccessEnabled": False,
        },
        "maintenancePolicy": {"window": {"dailyMaintenanceWindow": {"startTime": "03:00", "duration": "PT4H0M0S"}}},
        "binaryAuthorization": {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
        "authenticatorGroupsConfig": {"enabled": True, "securityGroup": "gke-security-groups@acme.example"},
        "secretManagerConfig": {"enabled": True},
        "networkConfig": {
            "network": f"projects/{project}/global/networks/prod-vpc",
            "subnetwork": f"projects/{project}/regions/{location}/subnetworks/prod-europe-west1",
            "enableIntraNodeVisibility": True,
            "datapathProvider": "ADVANCED_DATAPATH",
            "defaultEnablePrivateNodes": True,
        },
        "privateClusterConfig": {
            "enablePrivateNodes": True,
            "enablePrivateEndpoint": True,
            "masterIpv4CidrBlock": "172.16.0.0/28",
            "privateEndpoint": "172.16.0.2",
        },
        "databaseEncryption": {"state": "ENCRYPTED", "keyName": f"{key}/gke-secrets"},
        "shieldedNodes": {"enabled": True},
        "releaseChannel": {"channel": "REGULAR"},
        "workloadIdentityConfig": {"workloadPool": f"{project}.svc.id.goog"},
        "securityPostureConfig": {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_BASIC"},
        "controlPlaneEndpointsConfig": {
            "ipEndpointsConfig": {
                "enabled": True,
                "enablePublicEndpoint": False,
                "globalAccess": False,
                "authorizedNetworksConfig": {
                    "enabled": True,
                    "cidrBlocks": [{"displayName": "corp-vpn", "cidrBlock": "203.0.113.0/24"}],
                },
                "privateEndpoint": "172.16.0.2",
            }
        },
        "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]}},
        "monitoringConfig": {
            "componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS"]},
            "managedPrometheusConfig": {"enabled": True},
        },
        "selfLink": f"{CONTAINER}/{base}",
        "zone": location,
        "endpoint": "172.16.0.2",
        "initialClusterVersion": "1.27.3-gke.100",
        "currentMasterVersion": "1.30.5-gke.1014001",
        "currentNodeVersion": "1.30.5-gke.1014001",
        "createTime": "2023-09-14T08:12:44+00:00",
        "status": "RUNNING",
        "servicesIpv4Cidr": "10.8.0.0/20",
        "currentNodeCount": 3,
        "location": location,
        "id": "9f0c1d2e3b4a49c8b2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9",
        "etag": "6e5f4d3c",
    }


def neglected_cluster(project: str, number: str, location: str = "us-central1-a") -> dict[str, Any]:
    name = "legacy-web"
    base = f"projects/{project}/locations/{location}/clusters/{name}"
    pool_config = {
        "machineType": "n1-standard-2",
        "diskSizeGb": 100,
        "diskType": "pd-standard",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": "default",
        "metadata": {"disable-legacy-endpoints": "false", "startup-script": "curl -H 'token: s3cr3t' http://x"},
        "imageType": "UBUNTU_CONTAINERD",
        "workloadMetadataConfig": {"mode": "GCE_METADATA"},
        "shieldedInstanceConfig": {"enableIntegrityMonitoring": True},
    }
    return {
        "name": name,
        "nodeConfig": pool_config,
        "masterAuth": {
            "clusterCaCertificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUQ=",
            "clientCertificateConfig": {"issueClientCertificate": True},
            "clientCertificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=",
            "clientKey": "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlF",
        },
        "loggingService": "none",
        "monitoringService": "none",
        "network": "default",
        "clusterIpv4Cidr": "10.20.0.0/14",
        "addonsConfig": {
            "httpLoadBalancing": {},
            "kubernetesDashboard": {},
            "networkPolicyConfig": {"disabled": True},
        },
        "subnetwork": "default",
        "nodePools": [
            {
                "name": "pool-1",
                "config": pool_config,
                "initialNodeCount": 3,
                "locations": [location],
                "selfLink": f"{CONTAINER}/{base}/nodePools/pool-1",
                "version": "1.27.16-gke.1287000",
                "status": "RUNNING",
                "management": {},
                "podIpv4CidrSize": 24,
                "etag": "0f1e2d",
            }
        ],
        "locations": [location],
        "enableKubernetesAlpha": True,
        "legacyAbac": {"enabled": True},
        "networkPolicy": {},
        "ipAllocationPolicy": {},
        "masterAuthorizedNetworksConfig": {},
        "networkConfig": {
            "network": f"projects/{project}/global/networks/default",
            "subnetwork": f"projects/{project}/regions/us-central1/subnetworks/default",
        },
        "databaseEncryption": {"state": "DECRYPTED"},
        "shieldedNodes": {},
        "releaseChannel": {},
        "binaryAuthorization": {},
        "securityPostureConfig": {"mode": "DISABLED", "vulnerabilityMode": "VULNERABILITY_DISABLED"},
        "controlPlaneEndpointsConfig": {"ipEndpointsConfig": {"enabled": True, "enablePublicEndpoint": True}},
        "selfLink": f"{CONTAINER}/{base}",
        "zone": location,
        "endpoint": "34.70.10.20",
        "initialClusterVersion": "1.15.12-gke.2",
        "currentMasterVersion": "1.27.16-gke.1287000",
        "currentNodeVersion": "1.27.16-gke.1287000",
        "createTime": "2020-02-03T17:40:01+00:00",
        "status": "RUNNING",
        "servicesIpv4Cidr": "10.23.240.0/20",
        "currentNodeCount": 3,
        "location": location,
        "id": "0a1b2c3d4e5f40718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "etag": "1a2b3c4d",
    }


def point_cluster(estate: dict[str, Any], ref: str, server: str, ca_pem: bytes) -> dict[str, Any]:
    """Make the cluster ``projects/P/locations/L/clusters/N`` answer at ``server`` (a Kubernetes API emulator):
    ``endpoint`` is its address (GKE gives a bare IP, the client adds https://), ``masterAuth`` its CA."""
    _, project, _, location, _, name = ref.split("/")
    for entry in estate.get("projects", []):
        for cluster in entry.get("clusters", []) if entry.get("projectId") == project else []:
            if cluster.get("name") == name and cluster.get("location") == location:
                cluster["endpoint"] = server.removeprefix("https://")
                cluster.setdefault("masterAuth", {})["clusterCaCertificate"] = base64.b64encode(ca_pem).decode()
                return cluster
    raise KeyError(f"no cluster {ref} in the estate")


def with_kubelet_config(cluster: dict[str, Any], *, kept: bool) -> dict[str, Any]:
    """The cluster with its node pools' kubelet configuration (NodeKubeletConfig): a kept cluster turns the
    insecure read-only port off everywhere; a neglected one leaves it on explicitly on its first pool."""
    kubelet: dict[str, Any] = {"insecureKubeletReadonlyPortEnabled": not kept}
    if kept:
        kubelet.update({"cpuManagerPolicy": "none", "podPidsLimit": "4096"})
        cluster["nodePoolDefaults"] = {
            "nodeConfigDefaults": {"nodeKubeletConfig": {"insecureKubeletReadonlyPortEnabled": False}}
        }
    for n, pool in enumerate(cluster.get("nodePools") or []):
        if kept or n == 0:
            pool["config"] = {**(pool.get("config") or {}), "kubeletConfig": dict(kubelet)}
    return cluster
