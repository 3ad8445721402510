"""Drain a target's outbox: attempt its pending deliveries in order, with exponential backoff on failure.

One worker at a time per webhook endpoint or Jira connection (a lease on the row), strictly in
creation order: a resolve never overtakes the create it follows. A transient failure (network, 5xx,
429, 401/403 while credentials get fixed) stops the drain and schedules a retry after
``INTEGRATIONS_RETRY_BASE_SECONDS * 2**(attempts-1)`` (capped at an hour); after
``INTEGRATIONS_MAX_ATTEMPTS`` the delivery is marked failed (retry it by hand: API or command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from collectors.failures import log_failure
from posture.crypto import DecryptionError
from posture.integrations.jira.client import JiraError
from posture.integrations.jira.sync import TicketSync
from posture.integrations.models import Delivery, DeliveryStatus, JiraConnection, Target, WebhookEndpoint
from posture.integrations.outcome import Outcome
from posture.integrations.webhooks.sender import post

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
MAX_BACKOFF_SECONDS = 3600
BATCH = 50
TARGETS: dict[str, type[Target]] = {"webhook": WebhookEndpoint, "jira": JiraConnection}
Sender = Callable[[Delivery], Outcome]


def max_attempts() -> int:
    return int(getattr(settings, "INTEGRATIONS_MAX_ATTEMPTS", 8))


def backoff_seconds(attempts: int) -> float:
    base = float(getattr(settings, "INTEGRATIONS_RETRY_BASE_SECONDS", 30))
    return min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


@dataclass
class DrainReport:
    busy: bool = False
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    retry_in: float | None = None  # a delivery failed just now and waits this long
    next_due_in: float | None = None  # the head of the queue is waiting from an earlier failure
    results: list[str] = field(default_factory=list)


def kind_of(target: Target) -> str:
    return "webhook" if isinstance(target, WebhookEndpoint) else "jira"


def webhook_sender(endpoint: WebhookEndpoint) -> Sender:
    secret = endpoint.secret

    def send(d: Delivery) -> Outcome:
        return post(endpoint.url, secret, d.event, str(d.uid), d.payload)

    return send


def jira_sender(connection: JiraConnection) -> Sender:
    sync = TicketSync(connection)

    def send(d: Delivery) -> Outcome:
        try:
            return sync.apply(d)
        except JiraError as exc:
            return Outcome(ok=False, code=exc.status, error=exc.message, transient=exc.transient)

    return send


def sender_for(target: Target) -> Sender:
    return webhook_sender(target) if isinstance(target, WebhookEndpoint) else jira_sender(target)


def attempt(send: Sender, d: Delivery, target: Target) -> Outcome:
    """One attempt, recorded on the delivery (and the target's last error)."""
    d.attempts += 1
    try:
        outcome = send(d)
    except Exception as exc:  # a bug or a crash mid-way: keep the delivery, retry it later
        log_failure(log, logging.WARNING, f"delivery {d.pk} to {target.name} raised {type(exc).__name__}", exc)
        outcome = Outcome(ok=False, transient=True, error=f"the delivery failed ({type(exc).__name__})")
    now = timezone.now()
    d.response_code = outcome.code
    d.result = outcome.result[:300]
    d.error = outcome.error[:2000]
    if outcome.ok:
        d.status = DeliveryStatus.SKIPPED if outcome.skipped else DeliveryStatus.SUCCEEDED
        d.delivered_at = now
    elif outcome.transient and d.attempts < max_attempts():
        d.next_attempt_at = now + timedelta(seconds=backoff_seconds(d.attempts))
    else:
        d.status = DeliveryStatus.FAILED
    d.save(update_fields=["attempts", "response_code", "result", "error", "status", "delivered_at", "next_attempt_at"])
    type(target).objects.filter(pk=target.pk).update(last_error="" if outcome.ok else outcome.error[:2000])
    return outcome


def _acquire(model: type[Target], target_id: int) -> bool:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    return bool(model.objects.filter(free, pk=target_id, enabled=True).update(lease_until=now + LEASE))


def drain(kind: str, target_id: int) -> DrainReport:
    model = TARGETS[kind]
    if not _acquire(model, target_id):
        return DrainReport(busy=True)
    report = DrainReport()
    try:
        target = model.objects.get(pk=target_id)
        try:
            send = sender_for(target)
        except DecryptionError as exc:  # the key that encrypted the secret is gone: nothing can be sent
            model.objects.filter(pk=target_id).update(last_error=str(exc))
            report.results.append(str(exc))
            return report
        _drain(target, send, report)
    finally:
        model.objects.filter(pk=target_id).update(lease_until=None)
    return report


def _drain(target: Target, send: Sender, report: DrainReport) -> None:
    model = type(target)
    while True:
        model.objects.filter(pk=target.pk).update(lease_until=timezone.now() + LEASE)  # still working
        pending = list(target.deliveries.filter(status=DeliveryStatus.PENDING).order_by("id")[:BATCH])
        if not pending:
            return
        for d in pending:
            now = timezone.now()
            if d.next_attempt_at > now:
                report.next_due_in = (d.next_attempt_at - now).total_seconds()
                return
            outcome = attempt(send, d, target)
            if d.status == DeliveryStatus.PENDING:  # transient failure: the remote end needs time
                report.retry_in = backoff_seconds(d.attempts)
                report.results.append(outcome.error)
                return
            report.results.append(outcome.result or outcome.error)
            if d.status == DeliveryStatus.FAILED:
                report.failed += 1
            elif d.status == DeliveryStatus.SKIPPED:
                report.skipped += 1
            else:
                report.succeeded += 1


def requeue(deliveries: list[Delivery]) -> int:
    """Failed deliveries back in the queue, with a fresh attempt budget."""
    ids = [d.pk for d in deliveries if d.status == DeliveryStatus.FAILED]
    return Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
