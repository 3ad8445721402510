"""Cloud firewalls open to the internet and public cluster endpoints as entries: each makes a path when every hop
holds, and the nearest harmless look-alike of one hop breaks it (plain data, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from posture.paths.items import ClusterLink, HopFinding, Item
from tests.paths.estate import ACCOUNT_ID, AWS, CLUSTER, GCP, Estate, allow, role_arn
from tests.paths.test_search import BLOB_READER, SUB, hop_kinds, paths

WEAK = HopFinding(9101, "gcp.compute.instance_default_sa_not_full_access", "high", category="identity")
PUBLIC_NODES = HopFinding(9102, "azure.aks.node_pool_private_nodes", "high", category="exposure")
PROFILE = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/web"
MACHINE_PATH = ["internet", "entry", "workload", "identity", "target"]


# AWS: security group -> EC2 instance -> instance profile role
def aws_estate(permission: dict[str, Any] | None = None, **instance: Any) -> tuple[Estate, Item]:
    estate = Estate()
    estate.bucket("customer-data")
    role = estate.role("web", allow("s3:GetObject", "arn:aws:s3:::customer-data/*"))
    role.config["InstanceProfileList"] = [{"Arn": PROFILE, "InstanceProfileName": "web"}]
    perm = permission or {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    group = {"GroupId": "sg-1", "GroupName": "web", "IpPermissions": [perm]}
    estate.add(AWS, "aws", "aws.ec2.security_group", "arn:aws:ec2:eu-west-1:1:security-group/sg-1", "web", group)
    config = {
        "InstanceId": "i-1",
        "State": {"Name": "running"},
        "PublicIpAddress": "203.0.113.7",
        "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web"}],
        "IamInstanceProfile": {"Arn": PROFILE},
        **instance,
    }
    item = estate.add(AWS, "aws", "aws.ec2.instance", "arn:aws:ec2:eu-west-1:1:instance/i-1", "i-1", config)
    return estate, estate.finding(item, WEAK)


def test_open_security_group_to_public_instance_to_its_role_to_the_bucket():
    [path] = paths(aws_estate()[0])
    assert hop_kinds(path) == MACHINE_PATH
    assert [e.kind for e in path.edges] == ["exposes", "guards", "runs as", "may read/write"]
    assert path.edges[0].detail == "tcp port 443 from 0.0.0.0/0" and path.edges[2].detail == "instance profile web"
    assert path.nodes[2].label == "EC2 instance i-1" and path.nodes[-1].label == "S3 bucket customer-data"


def test_ipv6_world_and_eks_node_instances_count():
    v6 = {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    tags = [{"Key": "eks:nodegroup-name", "Value": "apps"}]
    [path] = paths(aws_estate(v6, Tags=tags)[0])
    assert path.edges[0].detail == "all traffic every port from ::/0" and path.nodes[2].label == "EKS node i-1 (apps)"


@pytest.mark.parametrize(
    "permission",
    [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ],
)
def test_group_open_to_a_private_range_or_icmp_only_breaks_the_path(permission):
    assert paths(aws_estate(permission)[0]) == []


def test_instance_without_public_address_or_stopped_breaks_the_path():
    assert paths(aws_estate(PublicIpAddress=None)[0]) == []
    assert paths(aws_estate(State={"Name": "stopped"})[0]) == []
    association = {"NetworkInterfaces": [{"Association": {"PublicIp": "203.0.113.8"}, "Groups": []}]}
    assert paths(aws_estate(PublicIpAddress=None, **association)[0])


def test_eks_node_stands_on_its_node_groups_findings():
    tags = [{"Key": "eks:cluster-name", "Value": "prod"}, {"Key": "eks:nodegroup-name", "Value": "apps"}]
    estate, instance = aws_estate(Tags=tags)
    estate.findings.pop(instance.id)
    assert paths(estate) == []  # a hardened node: no finding of its own, its group not collected
    group = {"clusterName": "prod", "nodegroupName": "apps", "nodeRole": role_arn("web")}
    item = estate.add(
        AWS, "aws", "aws.eks.nodegroup", "arn:aws:eks:eu-west-1:1:nodegroup/prod/apps/x", "prod/apps", group
    )
    anonymous = HopFinding(9107, "aws.eks.nodegroup_kubelet_anonymous_auth_disabled", "high", category="cluster")
    estate.finding(item, anonymous)
    [path] = paths(estate)
    assert path.nodes[2].label == "EKS node i-1 (apps)" and path.nodes[2].findings == [anonymous]
    group["nodegroupName"] = "batch"  # another group's findings are not this node's
    assert paths(estate) == []


def test_instance_with_an_exposure_finding_only_is_no_foothold():
    estate, instance = aws_estate()
    estate.findings[instance.id] = [HopFinding(1, "aws.ec2.public_ip", "high", category="exposure")]
    assert paths(estate) == []


def test_instance_profile_of_no_known_role_breaks_the_path():
    assert paths(aws_estate(IamInstanceProfile={"Arn": PROFILE + "-other"})[0]) == []


# Azure: NSG -> subnet -> AKS node pool with public node IPs -> kubelet identity
SUBNET = f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes"
CLUSTER_ID = f"{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod"
KUBELET = "99999999-2222-3333-4444-555555555555"


def nsg_rule(name: str, priority: int, access: str = "Allow", port: str = "443") -> dict[str, Any]:
    props = {
        "direction": "Inbound",
        "access": access,
        "priority": priority,
        "protocol": "Tcp" if port != "*" else "*",
        "sourceAddressPrefix": "Internet",
        "destinationPortRange": port,
    }
    return {"name": name, "properties": props}


def azure_estate(*rules: dict[str, Any], public_ip: bool = True) -> Estate:
    estate = Estate()
    kubelet = {"kubeletidentity": {"clientId": KUBELET, "objectId": "p-kubelet"}}
    estate.add(
        AWS, "azure", "azure.aks.managed_cluster", CLUSTER_ID, "prod", {"properties": {"identityProfile": kubelet}}
    )
    pool = {
        "properties": {"vnetSubnetID": SUBNET, "enableNodePublicIP": public_ip},
        "_cluster": {"id": CLUSTER_ID, "name": "prod"},
    }
    item = estate.add(AWS, "azure", "azure.aks.agent_pool", f"{CLUSTER_ID}/agentPools/apps", "apps", pool)
    estate.finding(
        item, PUBLIC_NODES, HopFinding(9103, "azure.aks.node_pool_os_unpatched", "high", category="workload")
    )
    nsg = {"properties": {"securityRules": list(rules) or [nsg_rule("https", 100)], "subnets": [{"id": SUBNET}]}}
    estate.add(AWS, "azure", "azure.network.security_group", f"{SUB}/nsg/aks", "aks-nsg", nsg)
    storage = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmedata"
    estate.add(AWS, "azure", "azure.storage.account", storage, "acmedata", {})
    role = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{BLOB_READER}"
    assignment = {
        "properties": {"roleDefinitionId": role, "principalId": "p-kubelet", "scope": f"{SUB}/resourceGroups/rg"}
    }
    config = {"roleAssignments": [assignment]}
    estate.add(AWS, "azure", "azure.authorization.role_assignments", f"{SUB}/providers/x", "ra", config)
    return estate


def test_nsg_open_to_the_internet_to_public_node_pool_to_kubelet_identity():
    [path] = paths(azure_estate())
    assert hop_kinds(path) == MACHINE_PATH and path.nodes[2].label == "AKS node pool prod/apps"
    assert path.edges[0].detail == "rule https: Tcp 443 from Internet"
    assert path.nodes[-1].label == "Storage account acmedata"


def test_private_nodes_or_an_earlier_deny_of_everything_breaks_the_nsg_path():
    assert paths(azure_estate(public_ip=False)) == []
    assert paths(azure_estate(nsg_rule("deny-all", 90, "Deny", "*"), nsg_rule("https", 100))) == []
    assert paths(azure_estate(nsg_rule("deny-ssh", 90, "Deny", "22"), nsg_rule("https", 100)))  # not every port


# Google Cloud: firewall rule -> instance / GKE node pool -> service account
EMAIL = "vm@acme.iam.gserviceaccount.com"
READ_ONLY = "https://www.googleapis.com/auth/devstorage.read_only"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
NETWORK = "https://www.googleapis.com/compute/v1/projects/acme/global/networks/default"


def gcp_estate(rule: dict[str, Any] | None = None, **instance: Any) -> Estate:
    estate = Estate()
    estate.gcp_account(EMAIL)
    estate.gcp_project("acme", [{"role": "roles/storage.admin", "members": [f"serviceAccount:{EMAIL}"]}])
    estate.gcp_bucket("acme-data", "acme")
    firewall = {
        "name": "allow-web",
        "network": NETWORK,
        "direction": "INGRESS",
        "sourceRanges": ["0.0.0.0/0"],
        "allowed": [{"IPProtocol": "tcp", "ports": ["443"]}],
        "targetTags": ["web"],
        **(rule or {}),
    }
    estate.add(GCP, "gcp", "gcp.compute.firewall", "//compute/fw/allow-web", "allow-web", firewall)
    config = {
        "status": "RUNNING",
        "tags": {"items": ["web"]},
        "networkInterfaces": [{"network": NETWORK, "accessConfigs": [{"natIP": "198.51.100.4"}]}],
        "serviceAccounts": [{"email": EMAIL, "scopes": [CLOUD_PLATFORM]}],
        **instance,
    }
    estate.finding(estate.add(GCP, "gcp", "gcp.compute.instance", "//compute/vm/web-1", "web-1", config), WEAK)
    return estate


def test_firewall_rule_to_tagged_public_instance_to_its_service_account():
    [path] = paths(gcp_estate())
    assert hop_kinds(path) == MACHINE_PATH and path.nodes[2].label == "VM instance web-1"
    assert path.edges[0].detail == "tcp 443 from 0.0.0.0/0" and path.nodes[-1].label == "Bucket acme-data"


def test_untagged_rule_reaches_every_instance_of_its_network_only():
    assert paths(gcp_estate({"targetTags": []}, tags={}))
    other = NETWORK.replace("default", "other")
    assert paths(gcp_estate({"targetTags": [], "network": other})) == []


@pytest.mark.parametrize(
    ("rule", "instance"),
    [
        ({}, {"tags": {"items": ["db"]}}),
        ({}, {"networkInterfaces": [{"network": NETWORK}]}),
        ({"sourceRanges": ["35.191.0.0/16"]}, {}),
        ({"disabled": True}, {}),
        ({"allowed": [{"IPProtocol": "icmp"}]}, {}),
        ({}, {"serviceAccounts": [{"email": EMAIL, "scopes": [READ_ONLY]}]}),
    ],
)
def test_other_tag_no_external_address_narrow_source_disabled_icmp_or_narrow_scopes_break_the_path(rule, instance):
    assert paths(gcp_estate(rule, **instance)) == []


def gke_pool_estate(**network_config: Any) -> Estate:
    estate = gcp_estate({"targetTags": ["gke-prod-node"]}, status="TERMINATED")
    cluster = {"name": "prod", "_project": "acme", "network": "default"}
    estate.add(GCP, "gcp", "gcp.container.cluster", "//container/prod", "prod", cluster)
    pool = {"_cluster": "prod", "config": {"serviceAccount": EMAIL, "tags": ["gke-prod-node"]}, **network_config}
    item = estate.add(GCP, "gcp", "gcp.container.node_pool", "//container/prod/nodePools/apps", "prod/apps", pool)
    estate.finding(item, HopFinding(9104, "gcp.container.node_pool_gke_metadata_server", "high", category="cluster"))
    return estate


def test_firewall_to_gke_node_pool_and_private_nodes_break_it():
    [path] = paths(gke_pool_estate())
    assert path.nodes[2].label == "GKE node pool prod/apps" and path.edges[2].detail == f"service account {EMAIL}"
    assert paths(gke_pool_estate(networkConfig={"enablePrivateNodes": True})) == []


# Public cluster endpoints: an entry that leads on only through RBAC bound to anonymous users
EKS_ARN = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
ENDPOINT_OPEN = HopFinding(9105, "aws.eks.endpoint_public_access_restricted", "high", category="exposure")
ANONYMOUS_BOUND = HopFinding(9106, "kubernetes.rbac.no_anonymous_bindings", "critical", category="identity")


def endpoint_estate(subject: dict[str, Any], open_endpoint: bool = True, role: str = "cluster-admin") -> Estate:
    estate = Estate()
    estate.add(CLUSTER, "kubernetes", "kubernetes.cluster.cluster", "Cluster/prod", "prod", {"kind": "Cluster"})
    binding = {
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "anon"},
        "roleRef": {"kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }
    item = estate.add(CLUSTER, "kubernetes", "kubernetes.rbac.binding", "ClusterRoleBinding/anon", "anon", binding)
    estate.finding(item, ANONYMOUS_BOUND)
    cluster = estate.add(AWS, "aws", "aws.eks.cluster", EKS_ARN, "prod", {"name": "prod"})
    if open_endpoint:
        estate.finding(cluster, ENDPOINT_OPEN)
    estate.links.append(ClusterLink(CLUSTER, AWS, "eks", EKS_ARN))
    return estate


ANONYMOUS = {"kind": "Group", "name": "system:unauthenticated", "apiGroup": "rbac.authorization.k8s.io"}


def test_public_endpoint_with_anonymous_cluster_admin_is_a_path():
    [path] = paths(endpoint_estate(ANONYMOUS))
    assert hop_kinds(path) == ["internet", "entry", "workload", "target"]
    assert path.nodes[1].label == "API endpoint of prod" and path.nodes[2].label == "Anonymous requests"
    assert path.nodes[2].findings == [ANONYMOUS_BOUND] and path.target_kind == "admin"


def test_public_endpoint_alone_restricted_endpoint_or_harmless_anonymous_role_make_no_path():
    named = {"kind": "Group", "name": "platform-admins", "apiGroup": "rbac.authorization.k8s.io"}
    assert paths(endpoint_estate(named)) == []  # an open endpoint still asks for credentials
    assert paths(endpoint_estate(ANONYMOUS, open_endpoint=False)) == []
    assert paths(endpoint_estate(ANONYMOUS, role="system:public-info-viewer")) == []


def test_a_gke_node_vm_is_not_repeated_beside_its_node_pool():
    group = (
        "https://www.googleapis.com/compute/v1/projects/acme/zones/europe-west1-b/instanceGroupManagers/gke-prod-apps"
    )
    created = {
        "items": [{"key": "created-by", "value": "projects/1/zones/europe-west1-b/instanceGroupManagers/gke-prod-apps"}]
    }
    estate = gcp_estate({"targetTags": []}, metadata=created)
    assert [p.nodes[2].label for p in paths(estate)] == ["VM instance web-1"]
    cluster = {"name": "prod", "_project": "acme", "network": "default"}
    estate.add(GCP, "gcp", "gcp.container.cluster", "//container/prod", "prod", cluster)
    pool = {"_cluster": "prod", "config": {"serviceAccount": EMAIL}, "instanceGroupUrls": [group]}
    item = estate.add(GCP, "gcp", "gcp.container.node_pool", "//container/prod/nodePools/apps", "prod/apps", pool)
    estate.finding(item, WEAK)
    assert [p.nodes[2].label for p in paths(estate)] == ["GKE node pool prod/apps"]
