"""What a scan changed: configurations that drifted and findings that moved, in both directions."""

from __future__ import annotations

from typing import Any

from posture.findings.models import EventKind, FindingEvent
from posture.inventory.models import Resource, ResourceChange
from posture.scans.models import Scan

WORSE = (EventKind.OPENED, EventKind.REOPENED)
BETTER = (EventKind.RESOLVED,)


def drift(scan: Scan, limit: int = 1000) -> dict[str, Any]:
    changes = ResourceChange.objects.filter(scan=scan).select_related("resource").order_by("resource__uid")[:limit]
    events = (
        FindingEvent.objects.filter(scan=scan)
        .exclude(kind__in=(EventKind.MUTED, EventKind.UNMUTED))
        .select_related("finding__resource")
        .order_by("finding__rule_id", "finding__resource_uid")[:limit]
    )
    # first seen by this scan: persistence stamps them between the scan's start and its end
    new_resources = (
        Resource.objects.filter(
            account=scan.account_id, first_seen__gte=scan.started_at, first_seen__lte=scan.finished_at
        ).count()
        if scan.started_at and scan.finished_at
        else 0
    )
    out: dict[str, Any] = {
        "scan": scan.pk,
        "account": scan.account.name,
        "resources_changed": [
            {
                "uid": c.resource.uid,
                "type": c.resource.type,
                "name": c.resource.name,
                "previous_hash": c.previous_hash,
                "new_hash": c.new_hash,
                "changed_keys": changed_keys(c.previous_config, c.resource.config)
                if c.resource.config_hash == c.new_hash
                else None,
            }
            for c in changes
        ],
        "resources_new": new_resources,
        "findings_worse": [],
        "findings_better": [],
        "findings_other": [],
    }
    for e in events:
        item = {
            "finding": e.finding_id,
            "rule": e.finding.rule_id,
            "resource": e.finding.resource_uid,
            "kind": e.kind,
            "from": e.from_status,
            "to": e.to_status,
            "note": e.note,
        }
        key = "findings_worse" if e.kind in WORSE else "findings_better" if e.kind in BETTER else "findings_other"
        out[key].append(item)
    return out


def changed_keys(before: Any, after: Any, prefix: str = "") -> list[str]:
    """Dotted paths whose values differ between two JSON documents."""
    if isinstance(before, dict) and isinstance(after, dict):
        paths: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            paths += changed_keys(before.get(key), after.get(key), f"{prefix}{key}.")
        return paths
    return [] if before == after else [prefix.rstrip(".") or "(root)"]
