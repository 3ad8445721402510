"""Scheduled scans: Celery beat calls :func:`dispatch_due_scans` every few minutes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from posture.inventory.models import CloudAccount, Schedule
from posture.scans.models import Scan, ScanState
from posture.scans.pipeline import QueueUnavailable, ScanRefused, create_scan, enqueue_scan

log = logging.getLogger(__name__)

INTERVALS = {
    Schedule.HOURLY: timedelta(hours=1),
    Schedule.DAILY: timedelta(days=1),
    Schedule.WEEKLY: timedelta(weeks=1),
}


def due_accounts(now: datetime) -> list[CloudAccount]:
    accounts = CloudAccount.objects.filter(enabled=True).exclude(scan_schedule="")
    tried = Scan.objects.filter(account__in=accounts).exclude(  # one the queue refused never ran: due again
        state=ScanState.FAILED, started_at__isnull=True
    )
    last = dict(tried.values_list("account").annotate(last=Max("created_at")).order_by())
    return [a for a in accounts if a.pk not in last or now - last[a.pk] >= INTERVALS[Schedule(a.scan_schedule)]]


def dispatch_due_scans(now: datetime | None = None) -> list[Scan]:
    scans = []
    for account in due_accounts(now or timezone.now()):
        try:
            scan = create_scan(account, trigger="schedule")
        except ScanRefused:
            continue
        try:
            enqueue_scan(scan)
        except QueueUnavailable as exc:  # that scan is marked failed; all are due again at the next round
            log.warning("scheduled scans stopped: %s", exc)
            break
        scans.append(scan)
    return scans
