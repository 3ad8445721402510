"""Container drift that needs the previous scan: tags that moved, restarts and replacements since then.

Why here and not a rule: rules see one scan's records and nothing else (pure functions, no Django). A tag
"moved" only against what it resolved to at the last scan, so this runs in the persist step, right after the
scan's resources are stored (collect -> evaluate -> persist [-> here] -> summarize). It reads the scan's own
workload records (their pods' ``containers``: image, imageID, restartCount), stores a small
:class:`ContainerState` per scan, and compares it with the account's previous one. Nothing flows back into
the rules; the API (``/api/v1/scans/{id}/container-drift/``) and the drift page read the stored row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from collectors.records import ResourceRecord
from posture.scans.models import ContainerState, Scan

WORKLOAD_TYPE = "kubernetes.workloads.workload"


def running_containers(records: Iterable[ResourceRecord]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """``(workload uid, pod name, container status)`` for every container the collector saw."""
    for record in records:
        if record.type != WORKLOAD_TYPE:
            continue
        for pod in record.config.get("_pods") or []:
            for status in (pod.get("containers") or []) if isinstance(pod, dict) else []:
                if isinstance(status, dict):
                    yield record.uid, str(pod.get("name")), status


def observe(records: Iterable[ResourceRecord]) -> tuple[dict[str, list[str]], dict[str, int], dict[str, set[str]]]:
    """Tag -> digests it ran as, container key -> restarts, and tag -> the workloads running it."""
    images: dict[str, set[str]] = defaultdict(set)
    users: dict[str, set[str]] = defaultdict(set)
    containers: dict[str, int] = {}
    for uid, pod, status in running_containers(records):
        containers[f"{uid}|{pod}|{status.get('name')}"] = int(status.get("restartCount") or 0)
        image, image_id = str(status.get("image") or ""), str(status.get("imageID") or "")
        if image and "@" not in image and "@sha256:" in image_id:
            images[image].add(image_id.rsplit("@", 1)[1])
            users[image].add(uid)
    return {k: sorted(v) for k, v in sorted(images.items())}, containers, users


def tag_moves(before: dict[str, list[str]], now: dict[str, list[str]], users: dict[str, set[str]]) -> list[dict]:
    """Tags that run as a digest they did not run as at the previous scan (seen at both scans)."""
    moved = []
    for image, digests in now.items():
        previous = before.get(image)
        if previous and set(digests) - set(previous):
            moved.append({"image": image, "before": previous, "after": digests, "workloads": sorted(users[image])})
    return moved


def restarts(before: dict[str, int], now: dict[str, int]) -> list[dict]:
    """Containers that restarted since the previous scan (a new pod counts all its restarts)."""
    found = []
    for key, count in sorted(now.items()):
        delta = count - before.get(key, 0) if count >= before.get(key, 0) else count
        if delta > 0:
            uid, pod, container = key.split("|", 2)
            found.append({"workload": uid, "pod": pod, "container": container, "restarts": delta, "total": count})
    return found


def replacements(before: dict[str, int], now: dict[str, int]) -> list[dict]:
    """Per workload, the pods of the previous scan that are gone (replaced or scaled away) and the new ones."""

    def pods(keys: Iterable[str]) -> dict[str, set[str]]:
        grouped: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            uid, pod, _ = key.split("|", 2)
            grouped[uid].add(pod)
        return grouped

    old, new = pods(before), pods(now)
    return [
        {"workload": uid, "gone": sorted(old[uid] - new[uid]), "new": sorted(new[uid] - old[uid])}
        for uid in sorted(set(old) & set(new))
        if old[uid] != new[uid]
    ]


def previous_state(scan: Scan) -> ContainerState | None:
    return (
        ContainerState.objects.filter(scan__account_id=scan.account_id, scan_id__lt=scan.pk)
        .order_by("-scan_id")
        .first()
    )


def record_container_state(scan: Scan, records: Iterable[ResourceRecord]) -> ContainerState | None:
    """Store what the scan saw running and how it moved; None when the scan saw no container at all."""
    images, containers, users = observe(records)
    if not containers:
        return None
    before = previous_state(scan)
    old_images, old_containers = (before.images, before.containers) if before else ({}, {})
    state, _ = ContainerState.objects.update_or_create(
        scan=scan,
        defaults={
            "images": images,
            "containers": containers,
            "tag_moves": tag_moves(old_images, images, users),
            "restarts": restarts(old_containers, containers) if before else [],
            "replacements": replacements(old_containers, containers),
            "compared_with": before.scan if before else None,
        },
    )
    return state


def container_drift(scan: Scan) -> dict[str, Any]:
    """The stored container drift of a scan, as the API shows it."""
    state = ContainerState.objects.filter(scan=scan).select_related("compared_with").first()
    return {
        "scan": scan.pk,
        "compared_with": state.compared_with_id if state else None,
        "tag_moves": state.tag_moves if state else [],
        "restarts": state.restarts if state else [],
        "replacements": state.replacements if state else [],
        "images": state.images if state else {},
    }
