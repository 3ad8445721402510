"""An account's approved baseline: the scan drift is compared with when asked ``against=baseline``.

One service for the page, the API and the command line; each mark or clear is audited with its actor.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from posture.access.audit import record
from posture.scans.models import Scan, ScanState

DONE = (ScanState.SUCCEEDED, ScanState.PARTIAL)


class BaselineRefused(ValueError):
    """The scan cannot be a baseline (it did not finish)."""


@transaction.atomic
def mark_baseline(scan: Scan, *, user: Any = None, source: str = "web") -> Scan:
    """Make ``scan`` its account's baseline, replacing the one before."""
    if scan.state not in DONE:
        raise BaselineRefused(f"scan {scan.pk} is {scan.state}; only a finished scan can be a baseline")
    replaced = list(
        Scan.objects.filter(account_id=scan.account_id, baseline_at__isnull=False)
        .exclude(pk=scan.pk)
        .values_list("pk", flat=True)
    )
    Scan.objects.filter(pk__in=replaced).update(baseline_at=None, baseline_by=None)
    scan.baseline_at = timezone.now()
    scan.baseline_by = user if getattr(user, "is_authenticated", False) else None
    scan.save(update_fields=["baseline_at", "baseline_by"])
    record("scan.baseline", scan, user=user, source=source, detail={"replaced": replaced})
    return scan


@transaction.atomic
def clear_baseline(scan: Scan, *, user: Any = None, source: str = "web") -> bool:
    """Stop ``scan`` being a baseline; False when it was not one."""
    if scan.baseline_at is None:
        return False
    Scan.objects.filter(pk=scan.pk).update(baseline_at=None, baseline_by=None)
    scan.baseline_at, scan.baseline_by = None, None
    record("scan.baseline_clear", scan, user=user, source=source)
    return True
