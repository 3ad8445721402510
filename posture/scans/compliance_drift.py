"""Resources whose compliance moved in a scan: the set of failing findings grew (worse) or shrank (better).

Read from the scan's own FindingEvent rows (opened/reopened: a rule started failing on the resource; resolved:
one stopped), grouped per resource. A resource with both is ``mixed``; muting is triage, not drift.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from posture.findings.models import EventKind, FindingEvent
from posture.scans.models import Scan

WORSE = (EventKind.OPENED, EventKind.REOPENED)
BETTER = (EventKind.RESOLVED,)


def compliance_drift(scan: Scan, limit: int = 5000) -> dict[str, Any]:
    """``{"scan", "worse": [...], "better": [...], "mixed": [...]}``, one entry per resource, by uid."""
    events = (
        FindingEvent.objects.filter(scan=scan, kind__in=[*WORSE, *BETTER])
        .select_related("finding__resource")
        .order_by("finding__resource_uid", "finding__rule_id", "id")[:limit]
    )
    moved: dict[str, dict[str, Any]] = {}
    rules: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"failing": set(), "passing": set()})
    for event in events:
        finding = event.finding
        moved.setdefault(finding.resource_uid, resource_entry(finding))
        side = "failing" if event.kind in WORSE else "passing"
        rules[finding.resource_uid][side].add(finding.rule_id)
    out: dict[str, Any] = {"scan": scan.pk, "worse": [], "better": [], "mixed": []}
    for uid, entry in moved.items():
        failing, passing = sorted(rules[uid]["failing"]), sorted(rules[uid]["passing"])
        direction = "mixed" if failing and passing else "worse" if failing else "better"
        out[direction].append({**entry, "now_failing": failing, "now_passing": passing, "direction": direction})
    return out


def resource_entry(finding: Any) -> dict[str, Any]:
    return {"uid": finding.resource_uid, "type": finding.resource.type, "name": finding.resource.name}
