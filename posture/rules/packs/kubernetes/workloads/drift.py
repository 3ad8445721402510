"""Running containers against what their workload declares: the pinned digest, and the ``kubectl apply`` copy.

Immutability: a container should run exactly the image its spec pins, and a workload should be what was
applied. Both rules read what the collector recorded on the workload: its pods' ``containers`` (the spec's
image, the running ``imageID``, restarts) and ``_lastApplied`` (the paths where the live object differs from
the applied copy; the copy itself is never stored, it may hold secrets). A tag that moves between scans
needs the previous scan, so it is computed after persistence (``posture.scans.container_drift``).
"""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.kubernetes.digests import digest_of
from posture.rules.packs.kubernetes.podspec import WORKLOAD, Template, live_pods, pods_evidence
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, errored, failed, lookup, passed


def pinned_containers(template: Template) -> dict[str, tuple[str, str]]:
    """Regular containers that pin a digest: name -> (config path of its image, pinned digest)."""
    pinned = {}
    for index, container in enumerate(template.spec.get("containers") or []):
        digest = digest_of(container.get("image")) if isinstance(container, dict) else None
        if digest:
            pinned[str(container.get("name"))] = (template.path("containers", index, "image"), digest)
    return pinned


def running(resource: ResourceRecord) -> list[tuple[str, dict[str, Any]]]:
    """``(pod name, container status)`` for every container of the workload's running pods (a Succeeded, Failed
    or evicted pod runs nothing: its last image is history, not drift)."""
    found = []
    for pod in live_pods(resource):
        found += [(str(pod.get("name")), c) for c in pod.get("containers") or [] if isinstance(c, dict)]
    return found


@rule(
    id="kubernetes.workloads.running_image_matches_pinned_digest",
    title="Running containers run the image digest their spec pins",
    severity="high",
    category="images",
    resource_type=WORKLOAD,
    rationale="A digest names exactly one image. A container running another digest than the one pinned was "
    "not started from the reviewed spec: a node-side image swap, a mutated pod, or a controller that "
    "does not roll out what it says.",
    remediation="Find out how the pod came to run that image (kubectl get pod -o yaml, the node's image "
    "store); delete the pod so the controller recreates it from the spec, and look for who changed it.",
)
def running_image_matches_pinned_digest(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    template = Template.of(resource)
    if template is None:
        return None
    pinned = pinned_containers(template)
    seen = [(pod, c) for pod, c in running(resource) if str(c.get("name")) in pinned and digest_of(c.get("imageID"))]
    if not pinned or not seen:
        return None  # nothing pinned (a tag: the running digest is only recorded), or no running container seen
    evidence: list[Evidence] = []
    for pod, status in seen:
        path, digest = pinned[str(status.get("name"))]
        if digest_of(status.get("imageID")) != digest:
            evidence += [
                Evidence(path, lookup(resource.config, path)),
                Evidence(f"_pods.{pod}.imageID", status["imageID"]),
            ]
    if evidence:
        return failed(f"{len(evidence) // 2} container(s) run another digest than pinned", *evidence)
    return passed(f"{len(seen)} running container(s) run the pinned digest", *pods_evidence(resource))


@rule(
    id="kubernetes.workloads.live_spec_matches_last_applied",
    title="The live workload is what was last applied",
    severity="medium",
    category="workload",
    resource_type=WORKLOAD,
    rationale="A workload edited in place (kubectl edit, set image, patch) no longer matches its manifest: "
    "the change escaped review, and the next apply silently undoes it.",
    remediation="Make the change in the manifest and apply it, or apply the manifest again to undo the edit. "
    "(spec.replicas is not compared: autoscalers own it.)",
)
def live_spec_matches_last_applied(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    drift = resource.config.get("_lastApplied")
    if not isinstance(drift, dict):
        return None  # not managed by kubectl apply: no applied copy to compare with
    if drift.get("error"):
        return errored(str(drift["error"]), Evidence("_lastApplied.error", drift["error"]))
    fields = [str(f) for f in drift.get("fields") or []]
    live = [Evidence(path, lookup(resource.config, path)) for path in fields]
    return check(
        not fields,
        "the live spec matches the last-applied configuration",
        f"{drift.get('count', len(fields))} field(s) differ from the last-applied copy: {', '.join(fields[:5])}",
        Evidence("_lastApplied.fields", fields),
        *live,
    )
