"""One account's scan spread over the Celery workers: a task per (service, region), then one that stores it all.

With a broker (not eager Celery) and ``POSTURE_SCAN_SPREAD`` on, ``tasks.run_scan_task`` calls :func:`start`
instead of ``pipeline.run_scan``::

    start ──► ScanUnit rows, one collect task each ──► collect_unit (any worker) ──► report ─┐
      (connect, plan)                                   records staged as they come,       │ the last unit
                                                        a batch at a time, each with its   │ to report
                                                        own-record verdicts (prepared.py)  ▼
                                                                              finish ──► staged.store_staged
                                                                       (one worker)    (context rules, store)

- **Bounded memory**: a unit's records go to :class:`~posture.scans.models.StagedRecord` rows a batch at a time
  (``collectors.run.stream_unit``); the finishing step reads them back a type and a batch at a time
  (:mod:`posture.scans.staged`). No process holds the whole account.
- **Counting**: each unit reports in a transaction that locks the scan's row (``select_for_update``), so the
  last of two units reporting at once sees the other's report and queues the finishing task; finishing claims
  the scan (``storing_at``) so a second delivery does nothing.
- **Idempotent**: a unit taken again (a redelivered task, ``acks_late``) starts a new attempt and drops the
  earlier attempt's rows; only the attempt that reports counts, and a unit that has reported is not run again.
- **Lost units**: :func:`reap_lost_units` (the sweep, with ``pipeline.reap_stale_scans``) finds spread scans
  that have not heard from a worker for ``POSTURE_SCAN_STALE_SECONDS``, marks their unreported units failed
  (``lost``: they are named in the scan's errors) and finishes the scan, which is then partial, never complete.
- **Cancel**: a unit stops at its next batch; a cancelled scan is never finished, its staged rows are dropped.

The embedded default (eager Celery, SQLite) never comes here: ``pipeline.run_scan`` runs the scan in-process.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from collectors.failures import traceback_detail
from collectors.records import CollectionError, ResourceRecord
from collectors.redact import credential_values
from collectors.run import find_unit, plan, stream_unit, unit_key
from posture.inventory.failures import failure_message
from posture.scans.models import UNIT_REPORTED, Scan, ScanState, ScanUnit, StagedRecord, UnitState
from posture.scans.pipeline import Clock, _finish, _is_cancelled, connect, with_db_retry
from posture.scans.staged import stage, store_staged, unstage

log = logging.getLogger(__name__)
SendUnit = Callable[[int, int], None]  # (scan id, unit id): queue the unit's task
SendFinish = Callable[[int], None]  # (scan id): queue the finishing task
LOST = "no report from a worker within {seconds} s (the worker was lost or killed); its records were left out"

_sessions: OrderedDict[tuple[int, Any], tuple[Any, Any, Any]] = (
    OrderedDict()
)  # (scan, start) -> provider, session, target
_sessions_lock = threading.Lock()


class _Cancelled(Exception):
    """The scan was cancelled while a unit ran: the unit stops without reporting."""


def start(scan_id: int, send_unit: SendUnit, send_finish: SendFinish, clock: Clock = timezone.now) -> Scan:
    """Connect and plan a queued scan, and queue a task per unit. Never raises for a cloud-side problem."""
    if not Scan.objects.filter(pk=scan_id, state=ScanState.QUEUED).update(
        state=ScanState.RUNNING, started_at=clock(), heartbeat_at=timezone.now()
    ):
        return Scan.objects.get(pk=scan_id)  # cancelled, or another worker has it
    scan = Scan.objects.select_related("account").get(pk=scan_id)
    try:
        provider, session, target = connect(scan.account)
        units = plan(provider, session, target)
    except Exception as exc:  # bad credentials, unreachable endpoint, unknown provider
        return _finish(
            scan, ScanState.FAILED, clock, message=failure_message(scan.account, exc, "the scan could not start")
        )
    with transaction.atomic():
        rows = ScanUnit.objects.bulk_create(
            [ScanUnit(scan=scan, service=service, region=region) for service, region in map(unit_key, units)]
        )
        Scan.objects.filter(pk=scan_id).update(progress_total=len(rows))
        for row in ScanUnit.objects.filter(scan=scan).order_by("id"):
            transaction.on_commit(lambda pk=row.pk: send_unit(scan_id, pk))
        if not rows:
            transaction.on_commit(lambda: send_finish(scan_id))
    log.info("scan %s of %s: %s units queued", scan_id, scan.account.name, len(rows))
    scan.refresh_from_db()
    return scan


def collect_unit(unit_id: int, send_finish: SendFinish, batch_size: int = 500) -> str:
    """Collect one unit, staging its records a batch at a time, then report it; returns what happened."""
    attempt = _take(unit_id)
    if attempt is None:
        return "skipped"
    unit = ScanUnit.objects.select_related("scan__account").get(pk=unit_id)
    count = 0

    def on_batch(records: list[ResourceRecord]) -> None:
        nonlocal count
        if _is_cancelled(unit.scan_id):
            raise _Cancelled
        stage(unit, attempt, records)
        count += len(records)
        Scan.objects.filter(pk=unit.scan_id).update(heartbeat_at=timezone.now())

    try:
        provider, session, target = _connection(unit.scan)
        error = stream_unit(
            provider,
            session,
            find_unit(provider, unit.service, unit.region),
            on_batch,
            batch_size=batch_size,
            unit_timeout=settings.SCAN_UNIT_TIMEOUT_SECONDS,
            known_secrets=tuple(credential_values(target.credentials)),
        )
    except _Cancelled:
        return "cancelled"
    except (OperationalError, InterfaceError):
        raise  # the database: the task fails, its message stays unacknowledged and the unit runs again
    except Exception as exc:  # connecting again failed, or the plan names a collector this worker lacks
        message = failure_message(unit.scan.account, exc, f"{unit.service} in {unit.region} could not start")
        error = CollectionError(unit.service, unit.region, message, "error")
    if error is not None and error.kind == "timeout":  # as in-process: a unit that never answered gives nothing
        StagedRecord.objects.filter(unit_id=unit_id, attempt=attempt).delete()
        count = 0
    report(unit_id, attempt, error, count, send_finish)
    return "failed" if error else "done"


def _take(unit_id: int) -> int | None:
    """Start a new attempt at the unit, dropping an earlier attempt's rows; None: nothing to do."""
    with transaction.atomic():
        unit = ScanUnit.objects.select_for_update().select_related("scan").get(pk=unit_id)
        if unit.state in UNIT_REPORTED or unit.scan.state != ScanState.RUNNING:
            return None  # reported already (a redelivery), or the scan was cancelled or reaped
        unit.attempt += 1
        unit.state, unit.started_at = UnitState.RUNNING, timezone.now()
        unit.save(update_fields=["attempt", "state", "started_at"])
        StagedRecord.objects.filter(unit=unit).exclude(attempt=unit.attempt).delete()
        return unit.attempt


def _connection(scan: Scan) -> tuple[Any, Any, Any]:
    """The scan's provider, session and target, connected once per worker process (the last few scans kept)."""
    key = (scan.pk, scan.started_at)
    with _sessions_lock:
        if key in _sessions:
            _sessions.move_to_end(key)
            return _sessions[key]
    connected = connect(scan.account)
    with _sessions_lock:
        _sessions[key] = connected
        while len(_sessions) > 4:
            _sessions.popitem(last=False)
    return connected


def report(unit_id: int, attempt: int, error: CollectionError | None, count: int, send_finish: SendFinish) -> bool:
    """Record the unit's outcome; the last unit of the scan to report queues the finishing task.

    Locks the scan's row first: of two units reporting at once, the second waits, then counts the first.
    False (and this attempt's rows dropped) when another attempt or the sweep got there first.
    """
    with transaction.atomic():
        scan_id = ScanUnit.objects.values_list("scan_id", flat=True).get(pk=unit_id)
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        unit = ScanUnit.objects.select_for_update().get(pk=unit_id)
        if unit.attempt != attempt or unit.state in UNIT_REPORTED:
            StagedRecord.objects.filter(unit=unit, attempt=attempt).delete()
            return False
        unit.state = UnitState.FAILED if error else UnitState.DONE
        unit.error, unit.records, unit.finished_at = (error.as_dict() if error else None), count, timezone.now()
        unit.save(update_fields=["state", "error", "records", "finished_at"])
        if _all_reported(scan):
            transaction.on_commit(lambda: send_finish(scan_id))  # once this report is visible to its worker
    return True


def _all_reported(scan: Scan) -> bool:
    """Inside the transaction holding the scan's lock: the progress, and whether every unit has reported."""
    units = ScanUnit.objects.filter(scan=scan)
    done = units.filter(state__in=UNIT_REPORTED).count()
    Scan.objects.filter(pk=scan.pk).update(progress_done=done, heartbeat_at=timezone.now())
    return scan.state == ScanState.RUNNING and done == units.count()


def finish(scan_id: int, clock: Clock = timezone.now) -> Scan:
    """Evaluate and store the scan once every unit has reported; a second call (or delivery) does nothing."""
    if ScanUnit.objects.filter(scan_id=scan_id).exclude(state__in=UNIT_REPORTED).exists():
        return Scan.objects.get(pk=scan_id)  # not every unit has reported: the last one queues this again
    if not Scan.objects.filter(pk=scan_id, state=ScanState.RUNNING, storing_at__isnull=True).update(
        storing_at=timezone.now(), heartbeat_at=timezone.now()
    ):
        return Scan.objects.get(pk=scan_id)  # finished, cancelled, or another worker is storing it
    scan = Scan.objects.select_related("account").get(pk=scan_id)
    attempts = settings.SCAN_STORE_ATTEMPTS
    try:
        return with_db_retry(lambda: store_staged(scan, clock), attempts, f"storing scan {scan_id}")
    except Exception as exc:  # the database or a bug: the transaction rolled back, nothing half-written
        tried = f" ({attempts} attempts)" if isinstance(exc, (OperationalError, InterfaceError)) else ""
        message = f"storing the results failed{tried}: {type(exc).__name__}"
        log.error("scan %s of %s: %s", scan_id, scan.account.name, message)
        log.debug("scan %s: storing failed — detail: %s", scan_id, traceback_detail(exc))
        return with_db_retry(
            lambda: _finish(scan, ScanState.FAILED, clock, message=message), attempts, f"failing scan {scan_id}"
        )
    finally:
        with_db_retry(lambda: unstage(scan_id), attempts, f"unstaging scan {scan_id}")


def reap_lost_units(stale_after: int | None = None, clock: Clock = timezone.now) -> list[int]:
    """Spread scans still collecting that no worker has reported on for ``stale_after`` seconds: their unreported
    units fail as lost (named in the scan's errors) and the scan is finished here, partial. Also drops the staged
    rows of scans that ended (cancelled while units ran). Returns the scans finished."""
    seconds = stale_after or settings.SCAN_STALE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=seconds)
    StagedRecord.objects.exclude(scan__state=ScanState.RUNNING).delete()
    stale = Scan.objects.filter(
        state=ScanState.RUNNING, storing_at__isnull=True, heartbeat_at__lt=cutoff, units__isnull=False
    )
    reaped = []
    for scan_id in sorted(set(stale.values_list("id", flat=True))):
        with transaction.atomic():
            scan = Scan.objects.select_for_update().get(pk=scan_id)
            if scan.state != ScanState.RUNNING or scan.heartbeat_at is None or scan.heartbeat_at >= cutoff:
                continue  # a unit reported meanwhile
            for unit in ScanUnit.objects.select_for_update().filter(scan=scan).exclude(state__in=UNIT_REPORTED):
                error = CollectionError(unit.service, unit.region, LOST.format(seconds=seconds), "lost")
                unit.state, unit.error, unit.finished_at = UnitState.FAILED, error.as_dict(), timezone.now()
                unit.attempt += 1  # whatever a worker still running it stages from now on does not count
                unit.save(update_fields=["state", "error", "finished_at", "attempt"])
                StagedRecord.objects.filter(unit=unit).delete()
            log.warning("scan %s of account %s: units lost (no report since %s)", scan_id, scan.account_id, cutoff)
            if _all_reported(scan):
                reaped.append(scan_id)
    for scan_id in reaped:
        finish(scan_id, clock)
    return reaped
