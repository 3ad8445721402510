"""Helpers for rules over a workload's pod template: paths, containers, and the pods as evidence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from collectors.kubernetes.objects import containers, pod_spec, template_path
from collectors.records import ResourceRecord
from posture.rules.verdicts import Evidence, Verdict, failed, passed

WORKLOAD = "kubernetes.workloads.workload"


class Template:
    """A workload's pod spec and where it sits in the record's config."""

    def __init__(self, resource: ResourceRecord, spec: dict[str, Any]) -> None:
        self.resource = resource
        self.spec = spec
        self.prefix = template_path(str(resource.config.get("kind", "")))

    @classmethod
    def of(cls, resource: ResourceRecord) -> Template | None:
        spec = pod_spec(resource.config)
        return cls(resource, spec) if spec is not None else None

    def path(self, *parts: object) -> str:
        return ".".join([self.prefix, *(str(p) for p in parts if p != "")])

    def containers(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(config path, container)`` for every init, regular and ephemeral container."""
        for relative, container in containers(self.spec):
            yield self.path(relative), container

    def security(self, container: dict[str, Any]) -> dict[str, Any]:
        return container.get("securityContext") or {}

    @property
    def pod_security(self) -> dict[str, Any]:
        return self.spec.get("securityContext") or {}

    @property
    def windows(self) -> bool:
        return (self.spec.get("os") or {}).get("name") == "windows"

    def annotations(self) -> tuple[str, dict[str, Any]]:
        """The pod's annotations and their path (the template's, or the pod's own)."""
        if self.prefix == "spec":
            return "metadata.annotations", (self.resource.config.get("metadata") or {}).get("annotations") or {}
        meta_path = self.prefix[: -len(".spec")] + ".metadata"
        meta: Any = self.resource.config
        for part in meta_path.split("."):
            meta = meta.get(part) if isinstance(meta, dict) else None
        annotations = meta.get("annotations") if isinstance(meta, dict) else None
        return meta_path + ".annotations", annotations if isinstance(annotations, dict) else {}


# pod phases in which no container runs any more (an evicted pod is Failed, reason Evicted)
ENDED_PHASES = {"Succeeded", "Failed"}


def live_pods(resource: ResourceRecord) -> list[dict[str, Any]]:
    """The workload's pods that still run: not Succeeded, Failed or evicted (a pod recorded without its phase,
    by an older collector, counts as running)."""
    return [
        p
        for p in resource.config.get("_pods") or []
        if isinstance(p, dict) and p.get("phase") not in ENDED_PHASES and p.get("reason") != "Evicted"
    ]


def pods_evidence(resource: ResourceRecord) -> list[Evidence]:
    """The workload's pods (names), where the scan saw any: the findings' evidence on running objects."""
    pods = resource.config.get("_pods")
    if not pods:
        return []
    return [Evidence("_pods", [p.get("name") for p in pods if isinstance(p, dict)])]


def verdict(
    resource: ResourceRecord, offending: list[Evidence], ok: str, bad: str, checked: list[Evidence] | None = None
) -> Verdict:
    """FAIL naming every offending field, else PASS with what was checked; the pods ride along as evidence."""
    pods = pods_evidence(resource)
    if offending:
        return failed(f"{bad}: {', '.join(e.path for e in offending[:5])}", *offending, *pods)
    return passed(ok, *(checked or []), *pods)


def per_container(
    resource: ResourceRecord,
    bad: Callable[[Template, str, dict[str, Any]], list[Evidence]],
    ok: str,
    fail: str,
) -> Verdict | None:
    """Apply ``bad(template, path, container)`` to every container; None when the record has no pod template."""
    template = Template.of(resource)
    if template is None:
        return None
    offending: list[Evidence] = []
    checked: list[Evidence] = []
    for path, container in template.containers():
        found = bad(template, path, container)
        offending.extend(found)
        checked.append(Evidence(path + ".name", container.get("name")))
    return verdict(resource, offending, ok, fail, checked)
