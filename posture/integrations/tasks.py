"""Thin Celery tasks over :mod:`.delivery` and :mod:`.events`."""

from __future__ import annotations

from celery import shared_task

from posture.integrations import delivery, events


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
    return events.sweep()
