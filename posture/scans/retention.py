"""Purge history older than POSTURE_RETENTION_DAYS, in bounded batches.

Scans (with their snapshots, scores and drift records), finding events and
audit entries go; current findings and resources stay, and each account keeps
its newest finished scan so that its compliance numbers never vanish.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from posture.findings.models import FindingEvent
from posture.scans.models import FINAL_STATES, Scan

BATCH = 1000


def _delete_in_batches(queryset, batch: int) -> int:
    total = 0
    while True:
        ids = list(queryset.values_list("id", flat=True)[:batch])
        if not ids:
            return total
        queryset.model.objects.filter(id__in=ids).delete()
        total += len(ids)


def purge(now: datetime | None = None, days: int | None = None, batch: int = BATCH) -> dict[str, int]:
    cutoff = (now or timezone.now()) - timedelta(days=days or settings.RETENTION_DAYS)
    keep = Scan.objects.filter(state__in=FINAL_STATES).values("account").annotate(latest=Max("id")).values("latest")
    old_scans = Scan.objects.filter(state__in=FINAL_STATES, created_at__lt=cutoff).exclude(id__in=keep)
    return {
        "events": _delete_in_batches(FindingEvent.objects.filter(at__lt=cutoff), batch),
        "scans": _delete_in_batches(old_scans, batch),
    }
