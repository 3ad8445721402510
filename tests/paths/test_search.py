"""Every edge kind makes a path when it holds, and breaks the path when it does not (plain data, no database)."""

from __future__ import annotations

import pytest

from posture.paths.graph import build_graph
from posture.paths.items import ClusterLink, HopFinding
from posture.paths.search import find_paths
from tests.paths.estate import AWS, CLUSTER, Estate, allow, exposed_app, role_arn

IRSA = "eks.amazonaws.com/role-arn"
GKE = "iam.gke.io/gcp-service-account"
EMAIL = "loader@acme.iam.gserviceaccount.com"


def paths(estate: Estate) -> list:
    return find_paths(build_graph(estate.items, estate.findings, estate.links))


def irsa_estate(*statements: dict, exposed: bool = True, foothold: bool = True) -> Estate:
    estate = Estate()
    estate.service("web", {"app": "web"}, exposed=exposed)
    estate.workload("web", {"app": "web"}, "web", foothold=foothold)
    estate.service_account("web", {IRSA: role_arn("web")})
    estate.bucket("customer-data")
    estate.aws_account()
    estate.role("web", *statements)
    return estate


def hop_kinds(path) -> list[str]:
    return [n.kind for n in path.nodes]


def test_load_balancer_to_privileged_pod_to_irsa_role_to_bucket():
    [path] = paths(irsa_estate(allow("s3:*", "arn:aws:s3:::customer-data/*")))
    assert hop_kinds(path) == ["internet", "entry", "workload", "service_account", "identity", "target"]
    assert path.target_kind == "data" and path.nodes[-1].label == "S3 bucket customer-data"
    assert [e.kind for e in path.edges] == ["exposes", "selects", "runs as", "assumes", "may read/write"]
    assert path.nodes[2].findings[0].rule_id == "kubernetes.pss.privileged"


def test_internal_service_breaks_the_path():
    assert paths(irsa_estate(allow("s3:*", "*"), exposed=False)) == []


def test_hardened_pod_is_no_foothold():
    assert paths(irsa_estate(allow("s3:*", "*"), foothold=False)) == []


def test_muted_foothold_finding_stays_on_the_path_marked():
    estate = irsa_estate(allow("s3:GetObject", "*"), foothold=False)
    workload = next(i for i in estate.items if i.type == "kubernetes.workloads.workload")
    estate.finding(workload, HopFinding(7, "kubernetes.pss.host_path", "critical", True, "accepted: legacy"))
    [path] = paths(estate)
    assert path.nodes[2].findings[0].muted and path.nodes[2].findings[0].mute_reason == "accepted: legacy"


def test_role_that_cannot_reach_the_bucket_breaks_the_path():
    assert paths(irsa_estate(allow("s3:*", "arn:aws:s3:::other-bucket/*"))) == []
    assert paths(irsa_estate(allow("ec2:Describe*", "*"))) == []


def test_deny_wins_over_allow():
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::customer-data*"}
    assert paths(irsa_estate(allow("s3:*", "*"), deny)) == []


def test_not_action_allow_counts():
    assert paths(irsa_estate({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))


def test_admin_role_ranks_first():
    found = paths(irsa_estate(allow("*", "*")))
    assert [p.target_kind for p in found] == ["admin", "data"]
    assert found[0].rank > found[1].rank and found[0].reach == 2


def test_annotation_naming_no_known_role_breaks_the_path():
    estate = irsa_estate(allow("s3:*", "*"))
    sa = next(i for i in estate.items if i.type == "kubernetes.core.serviceaccount")
    sa.config["metadata"]["annotations"] = {IRSA: role_arn("missing")}
    assert paths(estate) == []


def test_ingress_to_internal_service_is_a_way_in_and_one_path_per_way_through():
    estate = irsa_estate(allow("s3:*", "*"), exposed=False)
    estate.ingress("shop", "web")
    [path] = paths(estate)
    assert hop_kinds(path)[:4] == ["internet", "entry", "route", "workload"]
    estate.service("web-lb", {"app": "web"})  # a second way in to the same foothold: still one path
    [path] = paths(estate)
    assert path.entries == 2


def test_ingress_to_another_service_breaks_the_path():
    estate = irsa_estate(allow("s3:*", "*"), exposed=False)
    estate.ingress("shop", "not-web")
    assert paths(estate) == []


def gke_estate(project_roles: list[str], bucket_roles: list[str] | None = None) -> Estate:
    estate = Estate()
    exposed_app(estate, "loader")
    estate.service_account("loader", {GKE: EMAIL})
    estate.gcp_account(EMAIL)
    estate.gcp_project("acme", [{"role": r, "members": [f"serviceAccount:{EMAIL}"]} for r in project_roles])
    member = [{"role": r, "members": [f"serviceAccount:{EMAIL}"]} for r in bucket_roles or []]
    estate.gcp_bucket("acme-data", "acme")
    estate.gcp_bucket("acme-private", "other", member)
    return estate


def test_gke_workload_identity_to_storage_admin_reaches_the_projects_buckets():
    [path] = paths(gke_estate(["roles/storage.admin"]))
    assert path.nodes[-1].label == "Bucket acme-data" and path.edges[3].kind == "impersonates"


def test_gke_bucket_binding_reaches_that_bucket_only():
    [path] = paths(gke_estate(["roles/viewer"], ["roles/storage.objectViewer"]))
    assert path.nodes[-1].label == "Bucket acme-private"


def test_gke_owner_is_admin_and_a_viewer_reaches_nothing():
    assert [p.target_kind for p in paths(gke_estate(["roles/owner"]))] == ["admin"]
    assert paths(gke_estate(["roles/viewer"])) == []


def rbac_estate(role_kind: str, rules: list[dict], binding_kind: str = "ClusterRoleBinding") -> Estate:
    estate = Estate()
    exposed_app(estate, "ops")
    estate.service_account("ops")
    estate.add(CLUSTER, "kubernetes", "kubernetes.cluster.cluster", "Cluster/prod", "prod", {"kind": "Cluster"})
    ns = "" if role_kind == "ClusterRole" else "shop"
    role = {"kind": role_kind, "metadata": {"name": "r", "namespace": ns}, "rules": rules}
    estate.add(CLUSTER, "kubernetes", "kubernetes.rbac.role", f"{ns}/{role_kind}/r".lstrip("/"), "r", role)
    binding = {
        "kind": binding_kind,
        "metadata": {"name": "b", "namespace": "" if binding_kind == "ClusterRoleBinding" else "shop"},
        "roleRef": {"kind": role_kind, "name": "r"},
        "subjects": [{"kind": "ServiceAccount", "name": "ops", "namespace": "shop"}],
    }
    estate.add(CLUSTER, "kubernetes", "kubernetes.rbac.binding", f"{binding_kind}/b", "b", binding)
    return estate


def test_rbac_cluster_wide_pod_creation_is_cluster_admin():
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]
    [path] = paths(rbac_estate("ClusterRole", rules))
    assert path.target_kind == "admin" and path.nodes[-1].label == "Cluster admin: prod"


def test_rbac_secret_reading_in_a_namespace_and_configmaps_only_breaks():
    [path] = paths(rbac_estate("Role", [{"resources": ["secrets"], "verbs": ["get"]}], "RoleBinding"))
    assert path.target_kind == "secrets" and path.nodes[-1].label == "Secrets in namespace shop"
    assert paths(rbac_estate("Role", [{"resources": ["configmaps"], "verbs": ["get"]}], "RoleBinding")) == []


def eks_link_estate(**workload) -> Estate:
    estate = Estate()
    exposed_app(estate, "web", **workload)
    estate.service_account("web")
    arn = "arn:aws:eks:eu-west-1:111122223333:cluster/prod"
    estate.add(AWS, "aws", "aws.eks.cluster", arn, "prod", {"name": "prod"})
    estate.bucket("customer-data")
    estate.role("node", allow("s3:GetObject", "*"))
    estate.role("pod", allow("s3:PutObject", "*"))
    estate.links.append(ClusterLink(CLUSTER, AWS, "eks", arn))
    return estate


def test_eks_pod_identity_association_binds_the_service_account():
    estate = eks_link_estate()
    assoc = [{"namespace": "shop", "serviceAccount": "web", "roleArn": role_arn("pod")}]
    config = {"clusterName": "prod", "associations": assoc}
    estate.add(AWS, "aws", "aws.eks.pod_identity_associations", "prod/pia", "prod", config)
    [path] = paths(estate)
    assert path.edges[3].detail == "EKS Pod Identity" and path.nodes[4].label == "pod"
    config["associations"] = [{**assoc[0], "serviceAccount": "other"}]
    assert paths(estate) == []


def test_host_network_pod_reaches_the_node_role():
    estate = eks_link_estate(hostNetwork=True)
    group = {"clusterName": "prod", "nodeRole": role_arn("node")}
    estate.add(AWS, "aws", "aws.eks.nodegroup", "ng-arn", "prod/ng", group)
    [path] = paths(estate)
    assert path.edges[2].kind == "reaches node identity" and path.nodes[3].label == "node"
    estate.items[1].config["spec"]["template"]["spec"]["hostNetwork"] = False
    assert paths(estate) == []


AZURE_CLIENT = "11111111-2222-3333-4444-555555555555"
OWNER, BLOB_READER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
SUB = "/subscriptions/0000-sub"


def aks_estate(role: str, scope: str) -> Estate:
    estate = Estate()
    exposed_app(estate, "api")
    estate.service_account("api", {"azure.workload.identity/client-id": AZURE_CLIENT})
    identity = {"properties": {"clientId": AZURE_CLIENT, "principalId": "p-1"}}
    uid = f"{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/api"
    estate.add(AWS, "azure", "azure.managedidentity.user_assigned", uid, "api-identity", identity)
    storage = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acmedata"
    estate.add(AWS, "azure", "azure.storage.account", storage, "acmedata", {})
    assignment = {
        "properties": {
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": "p-1",
            "scope": scope,
        }
    }
    config = {"roleAssignments": [assignment]}
    estate.add(AWS, "azure", "azure.authorization.role_assignments", f"{SUB}/providers/x", "ra", config)
    return estate


def test_aks_workload_identity_to_blob_reader_on_the_resource_group_reaches_its_storage():
    [path] = paths(aks_estate(BLOB_READER, f"{SUB}/resourceGroups/rg"))
    assert path.nodes[-1].label == "Storage account acmedata" and path.edges[3].kind == "federates"
    assert paths(aks_estate(BLOB_READER, f"{SUB}/resourceGroups/other")) == []


def test_aks_owner_on_the_subscription_is_admin():
    [path] = paths(aks_estate(OWNER, SUB))
    assert path.target_kind == "admin"


def test_host_network_pod_on_aks_reaches_the_kubelet_identity():
    estate = aks_estate(BLOB_READER, f"{SUB}/resourceGroups/rg")
    estate.items[2].config["metadata"]["annotations"] = {}  # no workload identity: only the node's
    kubelet = {"kubeletidentity": {"clientId": AZURE_CLIENT, "objectId": "p-1"}}
    cluster = f"{SUB}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod"
    estate.add(AWS, "azure", "azure.aks.managed_cluster", cluster, "prod", {"properties": {"identityProfile": kubelet}})
    estate.links.append(ClusterLink(CLUSTER, AWS, "aks", cluster))
    assert paths(estate) == []
    estate.items[1].config["spec"]["template"]["spec"]["hostNetwork"] = True
    [path] = paths(estate)
    assert path.edges[2].kind == "reaches node identity" and path.nodes[-1].label == "Storage account acmedata"


RBAC_GROUP = "rbac.authorization.k8s.io"


def pod_identity_estate(namespace: str, service_account: str) -> Estate:
    estate = eks_link_estate()
    assoc = [{"namespace": namespace, "serviceAccount": service_account, "roleArn": role_arn("pod")}]
    estate.add(
        AWS,
        "aws",
        "aws.eks.pod_identity_associations",
        "prod/pia",
        "prod",
        {"clusterName": "prod", "associations": assoc},
    )
    return estate


def test_eks_pod_identity_association_for_another_namespace_breaks_the_path():
    [path] = paths(pod_identity_estate("shop", "web"))
    assert path.nodes[-1].label == "S3 bucket customer-data" and path.edges[-1].detail == "s3:PutObject"
    assert paths(pod_identity_estate("billing", "web")) == []


def test_eks_pod_identity_association_of_another_cluster_breaks_the_path():
    estate = pod_identity_estate("shop", "web")
    estate.items[-1].config["clusterName"] = "staging"
    assert paths(estate) == []


@pytest.mark.parametrize(
    ("rules", "target"),
    [
        ([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}], "Secrets in every namespace"),
        (
            [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["escalate"]}],
            "Cluster admin: prod",
        ),
        (
            [{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]}],
            "Cluster admin: prod",
        ),
        ([{"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}], "Cluster admin: prod"),
        ([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], "Cluster admin: prod"),
    ],
)
def test_rbac_cluster_wide_secrets_escalate_bind_impersonate_lead_to_a_target(rules, target):
    [path] = paths(rbac_estate("ClusterRole", rules))
    assert path.nodes[-1].label == target and path.edges[-1].detail == "ClusterRoleBinding b -> ClusterRole r"


@pytest.mark.parametrize(
    "rules",
    [
        [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],  # not secrets
        [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],  # reads pods, creates none
        [{"apiGroups": [RBAC_GROUP], "resources": ["clusterroles"], "verbs": ["get"]}],
    ],
)
def test_rbac_harmless_look_alikes_lead_nowhere(rules):
    assert paths(rbac_estate("ClusterRole", rules)) == []


def test_rbac_pod_creation_in_a_namespace_is_not_cluster_admin():
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]
    [path] = paths(rbac_estate("Role", rules, "RoleBinding"))
    assert path.target_kind == "secrets" and path.nodes[-1].label == "Secrets in namespace shop"


def test_aks_workload_identity_naming_an_identity_not_collected_breaks_the_path():
    estate = aks_estate(BLOB_READER, f"{SUB}/resourceGroups/rg")
    sa = next(i for i in estate.items if i.type == "kubernetes.core.serviceaccount")
    sa.config["metadata"]["annotations"] = {"azure.workload.identity/client-id": AZURE_CLIENT.replace("1", "7")}
    assert paths(estate) == []


def test_aks_user_assigned_identity_without_a_role_assignment_reaches_nothing():
    estate = aks_estate(BLOB_READER, f"{SUB}/resourceGroups/rg")
    identity = next(i for i in estate.items if i.type == "azure.managedidentity.user_assigned")
    identity.config["properties"]["principalId"] = "p-other"
    assert paths(estate) == []
