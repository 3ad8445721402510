"""Workloads: one record per Deployment/DaemonSet/StatefulSet/Job/CronJob (or bare pod), its pods as evidence.

Streaming: ReplicaSets and Jobs are read once for their owners (a small map),
pods once for a few fields each, then each controller list is streamed and
every workload is yielded with the pods it runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from kubernetes import client

from collectors.kubernetes.objects import PROVIDER_NAME, WORKLOAD_KINDS, object_uid, workload_record
from collectors.kubernetes.paging import list_items
from collectors.kubernetes.provider import KubernetesSession
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

MAX_PODS_LISTED = 20


def controller_of(obj: dict[str, Any]) -> tuple[str, str] | None:
    """The (kind, name) of the object's controlling owner, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return str(ref.get("kind", "")), str(ref.get("name", ""))
    return None


def pod_summary(pod: dict[str, Any]) -> dict[str, Any]:
    status = pod.get("status") or {}
    return {
        "name": (pod.get("metadata") or {}).get("name", ""),
        "startTime": status.get("startTime"),
        "phase": status.get("phase"),
        "nodeName": (pod.get("spec") or {}).get("nodeName"),
        "containers": container_statuses(status),
    }


def container_statuses(status: dict[str, Any]) -> list[dict[str, Any]]:
    """What each container runs: the spec's image, the running digest (``imageID``) and its restarts."""
    return [
        {
            "name": s.get("name"),
            "image": s.get("image"),
            "imageID": s.get("imageID") or None,
            "restartCount": s.get("restartCount", 0),
        }
        for s in status.get("containerStatuses") or []
        if isinstance(s, dict)
    ]


def oldest_running_start(pods: list[dict[str, Any]]) -> str | None:
    """The earliest start among pods in phase Running (a Succeeded or Failed pod no longer runs anything)."""
    starts = sorted(p["startTime"] for p in pods if p.get("startTime") and p.get("phase") == "Running")
    return starts[0] if starts else None


class PodIndex:
    """Pods grouped by the workload that runs them: a few fields per pod, never the pod objects."""

    def __init__(self) -> None:
        self._pods: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(self, workload_uid: str, pod: dict[str, Any]) -> None:
        self._pods[workload_uid].append(pod_summary(pod))

    def evidence(self, workload_uid: str) -> dict[str, Any]:
        pods = self._pods.pop(workload_uid, [])
        oldest = oldest_running_start(pods)
        pods.sort(key=lambda p: (p.get("startTime") or "", p["name"]))
        return {
            "pods": pods[:MAX_PODS_LISTED],
            "_podCount": len(pods),
            "_oldestPodStart": oldest,
        }


def _owners_and_workloads(objects: Iterator[dict]) -> tuple[dict[tuple[str, str], tuple[str, str]], list[dict]]:
    """Each object's controller by (namespace, name), and the objects no workload kind controls (workloads too).

    ReplicaSets and Jobs are read once for both: a Deployment's or CronJob's own are only kept in the map.
    """
    owners = {}
    workloads = []
    for obj in objects:
        owner = controller_of(obj)
        if owner is not None:
            metadata = obj["metadata"]
            owners[(str(metadata.get("namespace", "")), str(metadata.get("name", "")))] = owner
        if owner is None or owner[0] not in WORKLOAD_KINDS:
            workloads.append(obj)
    return owners, workloads


@REGISTRY.collector(
    PROVIDER_NAME,
    "workloads",
    regional=False,
    permissions=(
        "list pods",
        "list replicasets.apps",
        "list deployments.apps",
        "list daemonsets.apps",
        "list statefulsets.apps",
        "list jobs.batch",
        "list cronjobs.batch",
    ),
)
def collect_workloads(session: KubernetesSession, region: str) -> Iterator[ResourceRecord]:
    core = session.api(client.CoreV1Api)
    apps = session.api(client.AppsV1Api)
    batch = session.api(client.BatchV1Api)
    rs_owners, replica_sets = _owners_and_workloads(
        list_items(session, apps.list_replica_set_for_all_namespaces, "ReplicaSet")
    )
    job_owners, jobs = _owners_and_workloads(list_items(session, batch.list_job_for_all_namespaces, "Job"))
    index = PodIndex()
    for pod in list_items(session, core.list_pod_for_all_namespaces, "Pod"):
        namespace = str(pod["metadata"].get("namespace", ""))
        owner = controller_of(pod)
        if owner is not None and owner[0] in ("ReplicaSet", "Job"):
            parent = (rs_owners if owner[0] == "ReplicaSet" else job_owners).get((namespace, owner[1]))
            owner = parent if parent is not None and parent[0] in WORKLOAD_KINDS else owner
        if owner is None or owner[0] not in WORKLOAD_KINDS:
            # a bare pod, a static (node-owned) pod or one run by a custom controller: the pod is the workload
            summary = pod_summary(pod)
            yield workload_record(
                pod,
                [summary],
                _podCount=1,
                _oldestPodStart=oldest_running_start([summary]),
                _owner={"kind": owner[0], "name": owner[1]} if owner else None,
            )
            continue
        index.add(object_uid(owner[0], owner[1], namespace), pod)
    controllers: tuple[tuple[Iterable[dict], str], ...] = (
        (list_items(session, apps.list_deployment_for_all_namespaces, "Deployment"), "Deployment"),
        (list_items(session, apps.list_daemon_set_for_all_namespaces, "DaemonSet"), "DaemonSet"),
        (list_items(session, apps.list_stateful_set_for_all_namespaces, "StatefulSet"), "StatefulSet"),
        (replica_sets, "ReplicaSet"),  # those run by a Deployment count there, with their pods
        (list_items(session, batch.list_cron_job_for_all_namespaces, "CronJob"), "CronJob"),
        (jobs, "Job"),  # those run by a CronJob count there
    )
    for objects, kind in controllers:
        for obj in objects:
            metadata = obj["metadata"]
            evidence = index.evidence(
                object_uid(kind, str(metadata.get("name", "")), str(metadata.get("namespace", "")))
            )
            yield workload_record(obj, evidence.pop("pods"), **evidence)
