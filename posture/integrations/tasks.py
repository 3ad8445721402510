"""Thin Celery tasks over :mod:`.delivery` and :mod:`.events`, and the queueing around them.

:func:`sweep` dispatches what is new into the outbox (``events``) and :func:`wake` queues a drain per target
with something due; :func:`on_scan_finished` runs a sweep after every scan.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

from posture.findings.attestations import announce_expired
from posture.integrations import delivery, events
from posture.integrations.drift_events import dispatch_drift
from posture.scans.models import Scan

log = logging.getLogger(__name__)


@shared_task(bind=True, name="posture.integrations.tasks.drain", max_retries=None, acks_late=True)
def drain_task(self, kind: str, target_id: int) -> dict:
    """Send a target's due deliveries; after a transient failure, come back when the backoff is over."""
    report = delivery.drain(kind, target_id)
    if self.request.is_eager:
        # No broker to come back later: retry in-process only while no wait is asked for (a backoff of 0,
        # as in the tests); otherwise the next sweep (or scan) sends what is due.
        rounds = 0
        while report.retry_in == 0 and rounds < delivery.max_attempts():
            report = delivery.drain(kind, target_id)
            rounds += 1
    elif report.retry_in is not None:
        raise self.retry(countdown=report.retry_in)
    elif report.next_due_in is not None:
        raise self.retry(countdown=report.next_due_in)
    return {"busy": report.busy, "succeeded": report.succeeded, "failed": report.failed, "skipped": report.skipped}


@shared_task(name="posture.integrations.tasks.sweep")
def sweep_task() -> int:
    """Periodic: dispatch new finding events (mutes made in the API, expiries) and resend what is due."""
    return sweep()


def wake(targets: set[tuple[str, int]]) -> None:
    """Queue a drain per target once the current transaction commits."""
    for kind, pk in sorted(targets):
        transaction.on_commit(lambda kind=kind, pk=pk: drain_task.delay(kind, pk))


def sweep(scan: Scan | None = None) -> int:
    """Dispatch what is new (the scan's own event too), then wake every target with something due."""
    created = events.dispatch_scan(scan).deliveries if scan is not None else 0
    if scan is not None:
        dispatch_drift(scan)
    created += events.dispatch_attestations(announce_expired()).deliveries
    while True:
        batch = events.dispatch_findings()
        created += batch.deliveries
        if batch.events < events.BATCH:
            break
    wake(events.due_targets())
    return created


def on_scan_finished(sender: Any, scan: Scan, **kwargs: Any) -> None:
    """The ``scan_finished`` receiver: never lets an integration problem reach the scan."""
    try:
        sweep(scan)
    except Exception:
        log.exception("integrations: dispatch after scan %s failed; the next sweep retries", scan.pk)
