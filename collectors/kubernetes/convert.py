"""One Kubernetes object (from the API or a manifest) -> one ResourceRecord, values that must not be kept removed."""

from __future__ import annotations

from typing import Any

from collectors.kubernetes.aws_auth import aws_auth_mappings, is_aws_auth
from collectors.kubernetes.objects import (
    WORKLOAD_KINDS,
    clean_metadata,
    record_for,
    secret_looking_keys,
    workload_record,
)
from collectors.records import ResourceRecord

TYPE_BY_KIND = {
    "Namespace": "kubernetes.core.namespace",
    "ServiceAccount": "kubernetes.core.serviceaccount",
    "Service": "kubernetes.core.service",
    "Secret": "kubernetes.core.secret",
    "ConfigMap": "kubernetes.core.configmap",
    "Node": "kubernetes.core.node",
    "Role": "kubernetes.rbac.role",
    "ClusterRole": "kubernetes.rbac.role",
    "RoleBinding": "kubernetes.rbac.binding",
    "ClusterRoleBinding": "kubernetes.rbac.binding",
    "NetworkPolicy": "kubernetes.networking.networkpolicy",
    "Ingress": "kubernetes.networking.ingress",
    "StorageClass": "kubernetes.storage.storageclass",
    "ValidatingWebhookConfiguration": "kubernetes.admission.policy",
    "MutatingWebhookConfiguration": "kubernetes.admission.policy",
    "ValidatingAdmissionPolicy": "kubernetes.admission.policy",
}
CLUSTER_TYPE = "kubernetes.cluster.cluster"


def secret_config(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret's metadata and type, with the names of its keys at most: never a value."""
    cleaned = clean_metadata(obj)
    keys = sorted(set(obj.get("data") or {}) | set(obj.get("stringData") or {}))
    config: dict[str, Any] = {k: cleaned[k] for k in ("apiVersion", "kind", "metadata", "type") if k in cleaned}
    if keys:
        config["_keys"] = keys
    return config


def configmap_config(obj: dict[str, Any]) -> dict[str, Any]:
    """A ConfigMap's metadata, key names and the keys that look like secrets; never the values."""
    cleaned = clean_metadata(obj)
    data = {**(obj.get("binaryData") or {}), **(obj.get("data") or {})}
    config: dict[str, Any] = {k: cleaned[k] for k in ("apiVersion", "kind", "metadata", "immutable") if k in cleaned}
    config["_keys"] = sorted(map(str, data))
    config["_secretLookingKeys"] = secret_looking_keys(obj.get("data") or {})
    if is_aws_auth(obj):  # who may sign in to an EKS cluster, as which groups
        config["_awsAuthMappings"], problem = aws_auth_mappings(obj.get("data") or {})
        if problem:
            config["_errors"] = {"awsAuth": problem}
    return config


def node_config(obj: dict[str, Any]) -> dict[str, Any]:
    """A node without its image list and volume bookkeeping (large, and not posture)."""
    cleaned = clean_metadata(obj)
    status = cleaned.get("status") or {}
    kept: dict[str, Any] = {k: status[k] for k in ("nodeInfo", "addresses") if k in status}
    if isinstance(status.get("conditions"), list):  # without heartbeat times, which change on every scan
        kept["conditions"] = [
            {k: c.get(k) for k in ("type", "status")} for c in status["conditions"] if isinstance(c, dict)
        ]
    return {**cleaned, "status": kept}


def webhook_config(obj: dict[str, Any]) -> dict[str, Any]:
    """An admission webhook configuration without the CA bundles."""
    cleaned = clean_metadata(obj)
    webhooks = []
    for hook in cleaned.get("webhooks") or []:
        if isinstance(hook, dict):
            client_config = {k: v for k, v in (hook.get("clientConfig") or {}).items() if k != "caBundle"}
            webhooks.append({**hook, "clientConfig": client_config})
    return {**cleaned, "webhooks": webhooks} if "webhooks" in cleaned else cleaned


CONFIG_BUILDERS = {
    "Secret": secret_config,
    "ConfigMap": configmap_config,
    "Node": node_config,
    "ValidatingWebhookConfiguration": webhook_config,
    "MutatingWebhookConfiguration": webhook_config,
}


def record_from_object(obj: dict[str, Any]) -> ResourceRecord | None:
    """The record for a Kubernetes object, or None for a kind Posture has no rules for."""
    kind = obj.get("kind")
    if kind in WORKLOAD_KINDS:
        return workload_record(obj)
    type_ = TYPE_BY_KIND.get(str(kind))
    if type_ is None:
        return None
    build = CONFIG_BUILDERS.get(str(kind))
    return record_for(type_, obj, build(obj) if build else None)
