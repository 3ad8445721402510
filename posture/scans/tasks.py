"""The scans' Celery tasks (thin: unpack ids, call the pipeline) and how a scan gets to one.

:func:`start_scan` is what a page, the API and the command line call; :func:`enqueue_scan` hands a
created scan to Celery (or, without a broker, to this process's background worker); beat runs
:func:`dispatch_scheduled_scans`. The pipeline itself (``pipeline.py``) knows nothing of queues.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from collectors.failures import log_failure
from posture.access.audit import record
from posture.celery import app
from posture.findings.mutes import apply_mutes
from posture.inventory.models import CloudAccount
from posture.scans import background as worker
from posture.scans import pipeline, retention, spread
from posture.scans.models import Scan, ScanState
from posture.scans.pipeline import QueueUnavailable, ScanRefused, create_scan
from posture.scans.schedule import due_accounts

log = logging.getLogger(__name__)


@shared_task(name="posture.scans.tasks.run_scan", bind=True)
def run_scan_task(self: Task, scan_id: int) -> str:
    """The scan in this worker (eager Celery, or ``POSTURE_SCAN_SPREAD`` off), or its units over every worker."""
    if not spreads():
        return pipeline.run_scan(scan_id).state
    queue = same_queue(self)
    return spread.start(
        scan_id,
        lambda scan, unit: collect_unit_task.apply_async((unit,), **queue),
        lambda scan: finish_scan_task.apply_async((scan,), **queue),
    ).state


@shared_task(
    name="posture.scans.tasks.collect_unit",
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),  # the database dropped: the unit runs again, a new attempt
    retry_backoff=True,
    max_retries=5,
)
def collect_unit_task(self: Task, unit_id: int) -> str:
    queue = same_queue(self)
    return spread.collect_unit(unit_id, lambda scan: finish_scan_task.apply_async((scan,), **queue))


@shared_task(name="posture.scans.tasks.finish_scan")
def finish_scan_task(scan_id: int) -> str:
    return spread.finish(scan_id).state


def spreads() -> bool:
    """Whether a scan's units go to all the workers: a real broker and ``POSTURE_SCAN_SPREAD`` on."""
    return bool(settings.SCAN_SPREAD and not app.conf.task_always_eager)


def same_queue(task: Task) -> dict[str, Any]:
    """Send a scan's next tasks to the queue its first one came from (workers serving that queue take them)."""
    queue = (task.request.delivery_info or {}).get("routing_key")
    return {"queue": queue} if queue else {}


@shared_task(name="posture.scans.tasks.dispatch_scheduled_scans")
def dispatch_scheduled_scans() -> int:
    return len(dispatch_due_scans())


@shared_task(name="posture.scans.tasks.expire_mutes")
def expire_mutes_task() -> dict:
    return apply_mutes()


@shared_task(name="posture.scans.tasks.purge_history")
def purge_history_task() -> dict:
    return retention.purge()


@shared_task(name="posture.scans.tasks.reap_stale_scans")
def reap_stale_scans_task() -> int:
    return len(spread.reap_lost_units()) + len(pipeline.reap_stale_scans())


def broker_address() -> str:
    """The broker as scheme://host:port, never with its password."""
    url = urlsplit(str(app.conf.broker_url or ""))
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.hostname or ''}{port}"


def enqueue_scan(scan: Scan, *, background: bool | None = None) -> None:
    """Hand the scan to Celery once the transaction that created it commits.

    Without a broker, ``background`` (default: ``POSTURE_SCAN_IN_BACKGROUND``) runs it in this process's
    background worker instead of in the caller; a command that exits at once passes False.

    If the broker is down or does not answer (bounded by ``POSTURE_QUEUE_TIMEOUT_SECONDS``),
    the scan is marked failed with the reason and :class:`QueueUnavailable` is raised, from
    the call itself or, inside a transaction, from its commit.
    """

    def send() -> None:
        if background is not False and worker.in_background():
            worker.submit(scan.pk)
            return
        try:
            run_scan_task.delay(scan.pk)
        except BrokerError as exc:
            message = f"the task queue is unavailable ({broker_address()}): the scan was not started"
            log_failure(log, logging.WARNING, f"scan {scan.pk} of account {scan.account_id}: {message}", exc)
            # Never queued, so nothing ran: no scan_finished signal (its listeners would need the queue too).
            Scan.objects.filter(pk=scan.pk, state=ScanState.QUEUED).update(
                state=ScanState.FAILED, finished_at=timezone.now(), message=message
            )
            scan.refresh_from_db()
            raise QueueUnavailable(message) from None

    transaction.on_commit(send)


def start_scan(
    account: CloudAccount,
    *,
    user: Any,
    source: str,
    trigger: str = "manual",
    queue: bool = True,
    background: bool | None = None,
) -> Scan:
    """What a person starts from a page, the API or the command line: the scan, its audit entry, and (with
    ``queue``) its task (``background``: see :func:`enqueue_scan`). Raises :class:`ScanRefused`, or
    :class:`QueueUnavailable` when the broker does not answer."""
    with transaction.atomic():
        scan = create_scan(account, trigger=trigger, user=user)
        record("scan.start", scan, user=user, source=source, detail={"account": account.name})
        if queue:
            enqueue_scan(scan, background=background)
    return scan


def dispatch_due_scans(now: datetime | None = None) -> list[Scan]:
    """Queue a scan of every account whose schedule says it is due; stop at the first refusal of the queue."""
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
