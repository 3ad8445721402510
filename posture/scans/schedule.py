"""Scheduled scans: which accounts are due (``tasks.dispatch_due_scans`` queues them; Celery beat calls it)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max

from posture.inventory.models import CloudAccount, Schedule
from posture.scans.models import Scan, ScanState

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
