"""What the emulator serves: API resource kinds and an estate of valid objects (as list items, without kind).

The clusters built from it are in :mod:`emulators.kubernetes.scenarios`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class ResourceKind:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


RESOURCES = (
    ResourceKind("", "v1", "namespaces", "Namespace", False),
    ResourceKind("", "v1", "nodes", "Node", False),
    ResourceKind("", "v1", "pods", "Pod", True),
    ResourceKind("", "v1", "serviceaccounts", "ServiceAccount", True),
    ResourceKind("", "v1", "services", "Service", True),
    ResourceKind("", "v1", "secrets", "Secret", True),
    ResourceKind("", "v1", "configmaps", "ConfigMap", True),
    ResourceKind("apps", "v1", "deployments", "Deployment", True),
    ResourceKind("apps", "v1", "replicasets", "ReplicaSet", True),
    ResourceKind("apps", "v1", "daemonsets", "DaemonSet", True),
    ResourceKind("apps", "v1", "statefulsets", "StatefulSet", True),
    ResourceKind("batch", "v1", "jobs", "Job", True),
    ResourceKind("batch", "v1", "cronjobs", "CronJob", True),
    ResourceKind("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    ResourceKind("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    ResourceKind("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    ResourceKind("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    ResourceKind("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True),
    ResourceKind("networking.k8s.io", "v1", "ingresses", "Ingress", True),
    ResourceKind("storage.k8s.io", "v1", "storageclasses", "StorageClass", False),
    ResourceKind(
        "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False
    ),
    ResourceKind(
        "admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", False
    ),
    ResourceKind(
        "admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy", False
    ),
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
DIGEST = "@sha256:" + hashlib.sha256(b"posture").hexdigest()
KUBE_SYSTEM_UID = "6a1f3c2e-0000-4000-8000-00000000c0de"


def image_repository(image: str) -> str:
    """The image reference without its tag or digest (``ghcr.io/acme/web:1.2`` -> ``ghcr.io/acme/web``)."""
    name = image.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    return f"{head}/{last.split(':', 1)[0]}" if head else last.split(":", 1)[0]


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Estate:
    """Objects by kind, in insertion order; each gets a uid, resourceVersion and creationTimestamp."""

    def __init__(self, version: str = "v1.30.4", now: datetime | None = None) -> None:
        major, minor = version.lstrip("v").split(".")[:2]
        self.version = {
            "major": major,
            "minor": minor,
            "gitVersion": version,
            "gitCommit": "0" * 40,
            "gitTreeState": "clean",
            "buildDate": "2024-08-14T00:00:00Z",
            "goVersion": "go1.22.5",
            "compiler": "gc",
            "platform": "linux/amd64",
        }
        self.now = now or datetime.now(UTC)
        self.resource_version = 1000
        self._objects: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.tag_digests: dict[str, str] = {}  # image tag -> the digest it resolves to now (else one made up)
        self.running_digests: dict[str, str] = {}  # pod name -> the digest its containers run (image drift)
        self.restarts: dict[str, int] = {}  # pod name -> restartCount of its containers
        self.kubelet_configs: dict[str, dict[str, Any]] = {}  # node name -> its kubelet's configz answer

    def objects(self, kind: str) -> list[dict[str, Any]]:
        return self._objects.get(kind, [])

    def add(
        self,
        kind: str,
        name: str,
        namespace: str = "",
        *,
        labels: dict | None = None,
        annotations: dict | None = None,
        owner: dict | None = None,
        uid: str = "",
        age: timedelta = timedelta(days=100),
        **body: Any,
    ) -> dict[str, Any]:
        self.resource_version += 1
        metadata: dict[str, Any] = {
            "name": name,
            "uid": uid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}/{namespace}/{name}")),
            "resourceVersion": str(self.resource_version),
            "creationTimestamp": timestamp(self.now - age),
        }
        if namespace:
            metadata["namespace"] = namespace
        if labels:
            metadata["labels"] = labels
        if annotations:
            metadata["annotations"] = annotations
        if owner:
            metadata["ownerReferences"] = [{**owner, "controller": True, "blockOwnerDeletion": True}]
        obj = {"metadata": metadata, **body}
        self._objects[kind].append(obj)
        return obj

    def digest_of(self, image: str, pod_name: str) -> str:
        """The ``sha256:...`` a pod's container runs: an override, the pinned digest, or what the tag resolves to."""
        if pod_name in self.running_digests:
            return self.running_digests[pod_name]
        if "@" in image:
            return image.rsplit("@", 1)[1]
        return self.tag_digests.get(image) or "sha256:" + hashlib.sha256(image.encode()).hexdigest()

    def container_statuses(self, pod: dict[str, Any]) -> list[dict[str, Any]]:
        """``status.containerStatuses`` as the kubelet reports them (V1ContainerStatus: name, image, imageID,
        ready, restartCount are required)."""
        name = pod["metadata"]["name"]
        started = (pod.get("status") or {}).get("startTime")
        statuses = []
        for c in (pod.get("spec") or {}).get("containers") or []:
            repository = image_repository(c["image"])
            statuses.append(
                {
                    "name": c["name"],
                    "image": c["image"],
                    "imageID": f"{repository}@{self.digest_of(c['image'], name)}",
                    "containerID": "containerd://" + hashlib.sha256(f"{name}/{c['name']}".encode()).hexdigest(),
                    "ready": True,
                    "started": True,
                    "restartCount": self.restarts.get(name, 0),
                    "state": {"running": {"startedAt": started}} if started else {"waiting": {"reason": "Pending"}},
                }
            )
        return statuses

    def refresh_statuses(self) -> None:
        """Every pod's container statuses again (after a tag moved, a pod restarted or ran another digest)."""
        for pod in self.objects("Pod"):
            pod.setdefault("status", {})["containerStatuses"] = self.container_statuses(pod)
        self.resource_version += 1

    def owner_ref(self, api_version: str, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"apiVersion": api_version, "kind": kind, "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"]}

    def pods(
        self,
        owner: dict[str, Any],
        namespace: str,
        prefix: str,
        spec: dict[str, Any],
        count: int,
        started: timedelta,
        node: str = "node-1",
    ) -> None:
        for n in range(count):
            pod = self.add(
                "Pod",
                f"{prefix}-{n:05d}",
                namespace,
                owner=owner,
                age=started,
                spec={**spec, "nodeName": node},
                status={"phase": "Running", "startTime": timestamp(self.now - started)},
            )
            pod["status"]["containerStatuses"] = self.container_statuses(pod)

    def record_last_applied(self, kind: str, namespace: str, name: str, **changes: Any) -> None:
        """Annotate an object with the ``kubectl apply`` copy of itself (``changes``: top-level spec keys that
        differ in the applied copy, i.e. drift made after the apply)."""
        obj = next(
            o
            for o in self.objects(kind)
            if o["metadata"]["name"] == name and o["metadata"].get("namespace") == namespace
        )
        applied = {
            "apiVersion": "batch/v1" if kind in ("Job", "CronJob") else "apps/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": {**copy.deepcopy(obj["spec"]), **changes},
        }
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[LAST_APPLIED] = json.dumps(applied, separators=(",", ":"))

    def deployment(
        self,
        namespace: str,
        name: str,
        spec: dict[str, Any],
        replicas: int = 2,
        started: timedelta = timedelta(days=2),
        labels: dict | None = None,
    ) -> None:
        selector = {"app": name}
        template = {"metadata": {"labels": selector}, "spec": spec}
        dep = self.add(
            "Deployment",
            name,
            namespace,
            labels=labels,
            spec={"replicas": replicas, "selector": {"matchLabels": selector}, "template": template},
            status={"replicas": replicas, "readyReplicas": replicas},
        )
        rs = self.add(
            "ReplicaSet",
            f"{name}-7d4b9c",
            namespace,
            owner=self.owner_ref("apps/v1", "Deployment", dep),
            spec={"replicas": replicas, "selector": {"matchLabels": selector}, "template": template},
            status={"replicas": replicas},
        )
        self.pods(self.owner_ref("apps/v1", "ReplicaSet", rs), namespace, f"{name}-7d4b9c", spec, replicas, started)

    def daemonset(self, namespace: str, name: str, spec: dict[str, Any], nodes: int = 2) -> None:
        selector = {"app": name}
        ds = self.add(
            "DaemonSet",
            name,
            namespace,
            spec={"selector": {"matchLabels": selector}, "template": {"metadata": {"labels": selector}, "spec": spec}},
            status={
                "currentNumberScheduled": nodes,
                "desiredNumberScheduled": nodes,
                "numberMisscheduled": 0,
                "numberReady": nodes,
            },
        )
        self.pods(self.owner_ref("apps/v1", "DaemonSet", ds), namespace, name, spec, nodes, timedelta(days=5))
