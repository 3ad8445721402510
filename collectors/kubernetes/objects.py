"""Kubernetes objects as plain JSON: uids, pod templates, and what must never be stored.

Shared by the cluster collectors and the manifest scanner, so both hand the
rules the same shapes: a workload's ``config`` is the object itself (camelCase,
as the API and manifests spell it) with values that look secret redacted.
"""

from __future__ import annotations

import copy
from typing import Any

from collectors.kubernetes.applied import LAST_APPLIED, last_applied_drift
from collectors.literal_secrets import literal_secret
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.redact import REDACTED, SECRET_NAME, SECRET_VALUE, redact_annotations, redact_args, redact_string

__all__ = [
    "LAST_APPLIED",
    "REDACTED",
    "SECRET_NAME",
    "SECRET_VALUE",
    "literal_secret",
]  # the rules read redacted values through these names

PROVIDER_NAME = "kubernetes"
WORKLOAD_TYPE = "kubernetes.workloads.workload"
WORKLOAD_KINDS = (
    "Pod",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
)
# Built-in objects the API server creates itself: not the operator's choice, so rules skip them.
BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping"


def object_uid(kind: str, name: str, namespace: str = "") -> str:
    """``namespace/Kind/name``, or ``Kind/name`` for cluster-scoped objects."""
    return f"{namespace}/{kind}/{name}" if namespace else f"{kind}/{name}"


BOOKKEEPING = ("managedFields", "resourceVersion")


def clean_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without server bookkeeping (managedFields, resourceVersion: they change on every status
    update and would read as drift) or the last-applied copy (it may hold secrets), and with the other
    annotations' secrets redacted (secret-named keys, credentials in URLs, key-shaped values, JSON inside)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return obj
    annotations = metadata.get("annotations")
    if any(k in metadata for k in BOOKKEEPING) or isinstance(annotations, dict):
        metadata = {k: v for k, v in metadata.items() if k not in BOOKKEEPING}
        if isinstance(annotations, dict):
            metadata["annotations"] = redact_annotations({k: v for k, v in annotations.items() if k != LAST_APPLIED})
        obj = {**obj, "metadata": metadata}
    return obj


def template_path(kind: str) -> str:
    """Where a workload kind keeps its pod spec, as a dotted path."""
    if kind == "Pod":
        return "spec"
    if kind == "CronJob":
        return "spec.jobTemplate.spec.template.spec"
    return "spec.template.spec"


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec a workload runs (its template), or None when the object has none."""
    value: Any = obj
    for part in template_path(str(obj.get("kind", ""))).split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else None


def containers(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every container of a pod spec with its path: ``containers.0``, ``initContainers.1`` ..."""
    found = []
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for index, container in enumerate(spec.get(group) or []):
            if isinstance(container, dict):
                found.append((f"{group}.{index}", container))
    return found


def redact_workload(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy whose secrets in containers are redacted: literal env values under secret-looking names or that
    look like keys (whole), credentials inside env URLs, and secret flags' values in ``command``/``args``.

    The pod template's own annotations are redacted as an object's metadata is (:func:`clean_metadata`).
    """
    spec = pod_spec(obj)
    if spec is None:
        return obj
    obj = copy.deepcopy(obj)
    spec = pod_spec(obj) or {}
    for _, container in containers(spec):
        _redact_container(container)
    template = _template_of(obj)
    if template is not None:
        template.update(clean_metadata(template))
    return obj


def _redact_container(container: dict[str, Any]) -> None:
    for env in container.get("env") or []:
        if not isinstance(env, dict) or not isinstance(env.get("value"), str):
            continue
        env["value"] = REDACTED if _secret_literal(env) else redact_string(env["value"])
    for key in ("command", "args"):
        if isinstance(container.get(key), list):
            container[key] = redact_args(container[key])


def _template_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template (``metadata`` + ``spec``) of a controller; None for a bare pod."""
    path = template_path(str(obj.get("kind", ""))).split(".")[:-1]
    if not path:
        return None
    value: Any = obj
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else None


def _secret_literal(env: dict[str, Any]) -> bool:
    value = env.get("value")
    if not isinstance(value, str) or not value or value == REDACTED:
        return False
    return literal_secret(str(env.get("name", "")), value) is not None


def secret_looking_keys(data: dict[str, Any]) -> list[dict[str, str]]:
    """``[{key, reason}]`` for ConfigMap entries that look like secrets; the values are never returned."""
    flagged = []
    for key, value in sorted((data or {}).items()):
        reason = literal_secret(str(key), value if isinstance(value, str) else "?")
        if reason is not None:
            flagged.append({"key": str(key), "reason": reason})
    return flagged


def workload_record(obj: dict[str, Any], pods: list[dict[str, Any]] | None = None, **extra: Any) -> ResourceRecord:
    """A workload (or a bare pod) as one record; ``pods`` are the pods it runs, as evidence."""
    metadata = obj.get("metadata") or {}
    kind, name, namespace = str(obj.get("kind", "")), str(metadata.get("name", "")), str(metadata.get("namespace", ""))
    applied = last_applied_drift(obj)  # before clean_metadata drops the applied copy
    config = redact_workload(clean_metadata(obj))
    if "status" in config:  # replica counts and conditions move all the time; the pods are the evidence
        status = config["status"] if kind == "Pod" and isinstance(config["status"], dict) else {}
        config = {k: v for k, v in config.items() if k != "status"}
        if status:
            config["status"] = {k: status[k] for k in ("phase", "startTime") if k in status}
    if applied is not None:
        extra = {**extra, "_lastApplied": applied}
    if pods is not None or extra:
        config = {**config, **({"_pods": pods} if pods is not None else {}), **extra}
    return ResourceRecord(
        provider=PROVIDER_NAME,
        service="workloads",
        type=WORKLOAD_TYPE,
        uid=object_uid(kind, name, namespace),
        name=name,
        region=GLOBAL_REGION,
        tags={str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
        config=config,
    )


def record_for(type_: str, obj: dict[str, Any], config: dict[str, Any] | None = None) -> ResourceRecord:
    """A record for any other object, uid ``namespace/Kind/name``; ``config`` defaults to the cleaned object."""
    metadata = obj.get("metadata") or {}
    name, namespace = str(metadata.get("name", "")), str(metadata.get("namespace", "") or "")
    return ResourceRecord(
        provider=PROVIDER_NAME,
        service=type_.split(".")[1],
        type=type_,
        uid=object_uid(str(obj.get("kind", "")), name, namespace),
        name=name,
        region=GLOBAL_REGION,
        tags={str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
        config=clean_metadata(obj) if config is None else config,
    )
