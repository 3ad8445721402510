"""What changed between two scans of an account: configurations, field by field, and findings that moved.

How two scans compare (any two finished scans of one account, either order): a resource's configuration
*as of* scan S is the ``previous_config`` of its first :class:`ResourceChange` after S (nothing, if that
change says it appeared), or, without a later change, its current config (nothing, if it is gone). Only
resources with a change row between the two scans can differ, so the comparison reads those rows and the
first row after the later scan: two queries whatever the distance, and exact, because every difference
beyond the volatile fields wrote a row. The diff itself is :func:`posture.scans.diff.diff_configs`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from posture.findings.models import EventKind, FindingEvent
from posture.inventory.models import Resource, ResourceChange
from posture.scans.diff import MAX_FIELDS, ChangeKind, change_kind, diff_configs, stored_diff
from posture.scans.models import Scan, ScanState

WORSE = (EventKind.OPENED, EventKind.REOPENED)
BETTER = (EventKind.RESOLVED,)
DONE = (ScanState.SUCCEEDED, ScanState.PARTIAL)
LIMIT = 1000  # resources and finding events listed; the counts cover everything
AGAINST = ("previous", "baseline")


class DriftError(ValueError):
    """A comparison that cannot be made: no such scan, another account's scan, no baseline."""


@dataclass(frozen=True)
class DriftFilters:
    provider: str = ""
    type: str = ""
    namespace: str = ""  # Kubernetes namespace: uids are ``namespace/Kind/name``
    kind: str = ""  # modified, recreated, appeared or gone

    def apply(self, rows: QuerySet) -> QuerySet:
        if self.provider:
            rows = rows.filter(resource__provider=self.provider)
        if self.type:
            rows = rows.filter(resource__type=self.type)
        if self.namespace:
            rows = rows.filter(resource__provider="kubernetes", resource__uid__startswith=f"{self.namespace}/")
        return rows


def previous_scan(scan: Scan) -> Scan | None:
    return Scan.objects.filter(account_id=scan.account_id, state__in=DONE, id__lt=scan.pk).order_by("-id").first()


def baseline_of(account_id: int) -> Scan | None:
    return Scan.objects.filter(account_id=account_id, baseline_at__isnull=False).first()


def resolve_against(scan: Scan, against: str) -> Scan | None:
    """The scan to compare with: ``previous`` (None for an account's first scan), ``baseline`` or a scan id."""
    against = against or "previous"
    if against == "previous":
        return previous_scan(scan)
    if against == "baseline":
        found = baseline_of(scan.account_id)
        if found is None:
            raise DriftError(f"{scan.account.name} has no baseline scan; mark one first")
        return found
    if not (against.isascii() and against.isdigit()):
        raise DriftError(f"against must be previous, baseline or a scan id, not {against!r}")
    found = Scan.objects.filter(pk=int(against), account_id=scan.account_id, state__in=DONE).first()
    if found is None:
        raise DriftError(f"no finished scan {against} of {scan.account.name}")
    return found


def config_changes(account_id: int, old: Scan, new: Scan, filters: DriftFilters) -> list[dict[str, Any]]:
    """Resources whose configuration differs between ``old`` and ``new`` (either order), with their diff."""
    low, high = sorted((old.pk, new.pk))
    window = filters.apply(ResourceChange.objects.filter(resource__account_id=account_id, scan_id__gt=low))
    in_window = window.filter(scan_id__lte=high).select_related("resource").order_by("resource_id", "scan_id", "id")
    first_rows: dict[int, ResourceChange] = {}
    for row in in_window:
        first_rows.setdefault(row.resource_id, row)
    after: dict[int, tuple[str, Any]] = {}
    changed = window.filter(scan_id__lte=high).values("resource_id")
    later = window.filter(scan_id__gt=high, resource_id__in=changed).order_by("resource_id", "scan_id", "id")
    for resource_id, kind, config in later.values_list("resource_id", "kind", "previous_config"):
        after.setdefault(resource_id, (kind, config))
    out = []
    for resource_id, row in first_rows.items():
        at_low, at_high = _as_of(row.kind, row.previous_config), _state_after(row.resource, after.get(resource_id))
        before, later_state = (at_low, at_high) if old.pk == low else (at_high, at_low)
        item = _item(row.resource, before, later_state)
        if item is not None:
            out.append(item)
    return sorted(out, key=lambda i: (i["type"], i["uid"]))


def _as_of(kind: str, previous_config: Any) -> Any:
    """The configuration before a change row: nothing when the row says the resource appeared."""
    return None if kind == ChangeKind.APPEARED else previous_config


def _state_after(resource: Resource, next_row: tuple[str, Any] | None) -> Any:
    if next_row is not None:
        return _as_of(*next_row)
    return None if resource.gone_at is not None else resource.config


def _item(resource: Resource, before: Any, after: Any) -> dict[str, Any] | None:
    if before is None and after is None:
        return None  # appeared and went again in between
    kind = change_kind(resource.type, before, after)
    fields = diff_configs(resource.type, before, after) if before is not None and after is not None else []
    if kind == ChangeKind.MODIFIED and not fields:
        return None  # changed and changed back
    return {
        "uid": resource.uid,
        "name": resource.name,
        "type": resource.type,
        "provider": resource.provider,
        "namespace": resource.uid.split("/", 1)[0] if resource.provider == "kubernetes" else "",
        "kind": str(kind),
        "fields": stored_diff(fields),
        "fields_changed": len(fields),
        "fields_hidden": max(0, len(fields) - MAX_FIELDS),
    }


def finding_moves(account_id: int, old: Scan | None, new: Scan) -> dict[str, list[dict[str, Any]]]:
    """Finding status changes between the two scans (those of ``new`` alone without ``old``)."""
    events = FindingEvent.objects.filter(scan__account_id=account_id).exclude(
        kind__in=(EventKind.MUTED, EventKind.UNMUTED)
    )
    if old is None:
        events = events.filter(scan=new)
    else:
        low, high = sorted((old.pk, new.pk))
        events = events.filter(scan_id__gt=low, scan_id__lte=high)
    out: dict[str, list[dict[str, Any]]] = {"findings_worse": [], "findings_better": [], "findings_other": []}
    for e in events.select_related("finding").order_by("finding__rule_id", "finding__resource_uid", "id")[:LIMIT]:
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


def drift(scan: Scan, against: str = "previous", filters: DriftFilters | None = None) -> dict[str, Any]:
    """What changed between ``scan`` and the scan it is compared with; raises DriftError for a bad ``against``."""
    return drift_between(scan, resolve_against(scan, against), against, filters)


def drift_between(scan: Scan, other: Scan | None, against: str, filters: DriftFilters | None) -> dict[str, Any]:
    """What changed from ``other`` (None: nothing to compare with) to ``scan``."""
    filters = filters or DriftFilters()
    changes = config_changes(scan.account_id, other or scan, scan, filters)  # a first scan: against itself, nothing
    counts = Counter(c["kind"] for c in changes)
    shown = [c for c in changes if not filters.kind or c["kind"] == filters.kind]
    return {
        "scan": scan.pk,
        "account": scan.account.name,
        "against": {"scan": other.pk if other else None, "how": against or "previous"},
        "counts": {str(kind): counts.get(str(kind), 0) for kind in ChangeKind},
        "changes_total": len(changes),
        "resources_changed": shown[:LIMIT],
        "resources_new": counts.get(ChangeKind.APPEARED, 0),
        **finding_moves(scan.account_id, other, scan),
    }
