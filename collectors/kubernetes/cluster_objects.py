"""Collectors for everything but the workloads: namespaces, RBAC, network, secrets (metadata), nodes, storage
classes, admission."""

from __future__ import annotations

from collections.abc import Iterator

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from collectors.kubernetes.convert import CLUSTER_TYPE, record_from_object
from collectors.kubernetes.kubelet_config import kubelet_configs
from collectors.kubernetes.objects import PROVIDER_NAME
from collectors.kubernetes.paging import list_items, list_metadata
from collectors.kubernetes.provider import KubernetesSession
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.registry import REGISTRY


def _records(objects: Iterator[dict]) -> Iterator[ResourceRecord]:
    for obj in objects:
        record = record_from_object(obj)
        if record is not None:
            yield record


@REGISTRY.collector(PROVIDER_NAME, "namespaces", regional=False, permissions=("list namespaces",))
def collect_namespaces(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    core = session.api(client.CoreV1Api)
    yield from _records(list_items(session, core.list_namespace, "Namespace"))


@REGISTRY.collector(PROVIDER_NAME, "serviceaccounts", regional=False, permissions=("list serviceaccounts",))
def collect_service_accounts(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    core = session.api(client.CoreV1Api)
    yield from _records(list_items(session, core.list_service_account_for_all_namespaces, "ServiceAccount"))


@REGISTRY.collector(PROVIDER_NAME, "services", regional=False, permissions=("list services",))
def collect_services(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    core = session.api(client.CoreV1Api)
    yield from _records(list_items(session, core.list_service_for_all_namespaces, "Service"))


@REGISTRY.collector(PROVIDER_NAME, "secrets", regional=False, permissions=("list secrets",))
def collect_secrets(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    """Metadata only: the list is requested as PartialObjectMetadataList, and values are dropped regardless."""
    yield from _records(list_metadata(session, "/api/v1/secrets", "Secret", "v1"))


@REGISTRY.collector(PROVIDER_NAME, "configmaps", regional=False, permissions=("list configmaps",))
def collect_config_maps(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    core = session.api(client.CoreV1Api)
    yield from _records(list_items(session, core.list_config_map_for_all_namespaces, "ConfigMap"))


@REGISTRY.collector(PROVIDER_NAME, "nodes", regional=False, permissions=("list nodes",))
def collect_nodes(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    """The nodes, then (opt-in) each node's live kubelet configuration: see :mod:`.kubelet_config`."""
    core = session.api(client.CoreV1Api)
    names = []
    for record in _records(list_items(session, core.list_node, "Node")):
        names.append(record.name)
        yield record
    yield from kubelet_configs(session, names)


@REGISTRY.collector(
    PROVIDER_NAME,
    "rbac",
    regional=False,
    permissions=(
        "list clusterroles.rbac.authorization.k8s.io",
        "list roles.rbac.authorization.k8s.io",
        "list clusterrolebindings.rbac.authorization.k8s.io",
        "list rolebindings.rbac.authorization.k8s.io",
    ),
)
def collect_rbac(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    rbac = session.api(client.RbacAuthorizationV1Api)
    yield from _records(list_items(session, rbac.list_cluster_role, "ClusterRole"))
    yield from _records(list_items(session, rbac.list_role_for_all_namespaces, "Role"))
    yield from _records(list_items(session, rbac.list_cluster_role_binding, "ClusterRoleBinding"))
    yield from _records(list_items(session, rbac.list_role_binding_for_all_namespaces, "RoleBinding"))


@REGISTRY.collector(
    PROVIDER_NAME, "networkpolicies", regional=False, permissions=("list networkpolicies.networking.k8s.io",)
)
def collect_network_policies(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    net = session.api(client.NetworkingV1Api)
    yield from _records(list_items(session, net.list_network_policy_for_all_namespaces, "NetworkPolicy"))


@REGISTRY.collector(PROVIDER_NAME, "ingresses", regional=False, permissions=("list ingresses.networking.k8s.io",))
def collect_ingresses(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    net = session.api(client.NetworkingV1Api)
    yield from _records(list_items(session, net.list_ingress_for_all_namespaces, "Ingress"))


@REGISTRY.collector(
    PROVIDER_NAME, "storageclasses", regional=False, permissions=("list storageclasses.storage.k8s.io",)
)
def collect_storage_classes(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    """How volumes are provisioned: the disk driver and its parameters (encryption key included)."""
    storage = session.api(client.StorageV1Api)
    yield from _records(list_items(session, storage.list_storage_class, "StorageClass"))


@REGISTRY.collector(
    PROVIDER_NAME,
    "admission",
    regional=False,
    permissions=(
        "list validatingwebhookconfigurations.admissionregistration.k8s.io",
        "list mutatingwebhookconfigurations.admissionregistration.k8s.io",
        "list validatingadmissionpolicies.admissionregistration.k8s.io",
    ),
)
def collect_admission(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    admission = session.api(client.AdmissionregistrationV1Api)
    yield from _records(
        list_items(session, admission.list_validating_webhook_configuration, "ValidatingWebhookConfiguration")
    )
    yield from _records(
        list_items(session, admission.list_mutating_webhook_configuration, "MutatingWebhookConfiguration")
    )
    try:  # admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy is GA from 1.30; older servers answer 404
        yield from _records(
            list_items(session, admission.list_validating_admission_policy, "ValidatingAdmissionPolicy")
        )
    except ApiException as exc:
        if exc.status != 404:
            raise


# No permission: /version is granted to every authenticated user (system:public-info-viewer).
@REGISTRY.collector(PROVIDER_NAME, "cluster", regional=False)
def collect_cluster(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    """The cluster itself: the control plane's version, for the node and cluster-wide rules."""
    version = session.get_json(session.api(client.VersionApi).get_code)
    if not isinstance(version, dict) or not version.get("gitVersion"):
        raise ValueError("/version has no gitVersion")
    name = session.context or "cluster"
    yield ResourceRecord(
        provider=PROVIDER_NAME,
        service="cluster",
        type=CLUSTER_TYPE,
        uid=f"Cluster/{name}",
        name=name,
        region=GLOBAL_REGION,
        config={"kind": "Cluster", "server": session.host, "version": version},
    )
