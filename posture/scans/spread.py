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
- **Lost units**: :func:`reap_lost_units` (the sweep, with ``pipeline.reap_stale_scans``) marks a unit failed as
  ``lost`` (named in the scan's errors, its records dropped) when, ``POSTURE_SCAN_STALE_SECONDS`` being the stale
  time:

  - it is **running** (a worker took it) and that unit has not been heard from for the stale time: its
    ``heartbeat_at`` is set when it is taken, at each batch it stages and when it reports, and a unit never runs
    longer than ``POSTURE_SCAN_UNIT_TIMEOUT_SECONDS`` (then it reports a timeout), so a unit silent for longer
    than that lost its worker. Sibling units reporting do not hide it.
  - it is **queued** (never taken) and the workers are not taking work at all: no unit of any scan was taken,
    staged a batch or reported, no scan was started, and none is being stored (its heartbeat fresh), within the
    stale time. Waiting is not lost: behind a
    backed-up queue (many scans queued, every worker busy) a unit waits as long as the workers keep working.
    What this cannot tell: a task the broker dropped while other work goes on waits until the workers fall idle
    for the stale time; and with several queues, one queue whose workers stopped is noticed only once no queue
    moves (the units do not record their queue).

  A scan whose units have then all reported is finished here, partial, never complete; otherwise its last unit to
  report finishes it as usual. A scan whose units had all reported but whose finishing task no worker took
  within the stale time is finished here too. The sweep locks the scan's row, then the rows of the units it reaps
  (only those), as a report locks the scan's row then its unit's, and decides again under the locks; taking a
  unit locks the unit's row only. One order, so the sweep is safe beside units being taken, staging and
  reporting. A unit's worker that comes back after it was reaped finds its attempt superseded at its next batch
  and stops; nothing of it counts.
- **Cancel**: a unit stops at its next batch; a cancelled scan is never finished, its staged rows are dropped.

The embedded default (eager Celery, SQLite) never comes here: ``pipeline.run_scan`` runs the scan in-process.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from collectors.failures import traceback_detail
from collectors.records import CollectionError, ResourceRecord
from collectors.redact import credential_values
from collectors.run import find_unit, plan, stream_unit, unit_key
from posture.inventory.failures import failure_message
from posture.scans import heartbeat
from posture.scans.models import UNIT_REPORTED, Scan, ScanState, ScanUnit, StagedRecord, UnitState
from posture.scans.pipeline import Clock, _finish, _is_cancelled, connect, with_db_retry
from posture.scans.staged import stage, store_staged, unstage

log = logging.getLogger(__name__)
UNIT_OPEN = (UnitState.QUEUED, UnitState.RUNNING)  # not reported yet
SendUnit = Callable[[int, int], None]  # (scan id, unit id): queue the unit's task
SendFinish = Callable[[int], None]  # (scan id): queue the finishing task
LOST = "no word from its worker for {seconds} s (the worker was lost or killed); its records were left out"
NEVER_TAKEN = (
    "never taken by a worker, and no worker took or reported any work for {seconds} s (the workers were stopped,"
    " or the queue lost the task)"
)

_sessions: OrderedDict[tuple[int, Any], tuple[Any, Any, Any]] = (
    OrderedDict()
)  # (scan, start) -> provider, session, target
_sessions_lock = threading.Lock()


class _Cancelled(Exception):
    """The scan was cancelled while a unit ran: the unit stops without reporting."""


class _Superseded(Exception):
    """The unit was taken again, or reaped as lost, while this attempt ran: the attempt stops and never counts."""


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
        if not _heard(unit_id, attempt):
            raise _Superseded
        stage(unit, attempt, records)
        count += len(records)

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
    except _Superseded:
        StagedRecord.objects.filter(unit_id=unit_id, attempt=attempt).delete()
        return "superseded"
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
    with transaction.atomic():  # the unit's row only: the sweep and reports lock the scan's row first, then units'
        unit = ScanUnit.objects.select_for_update(of=("self",)).select_related("scan").get(pk=unit_id)
        if unit.state in UNIT_REPORTED or unit.scan.state != ScanState.RUNNING:
            return None  # reported already (a redelivery), or the scan was cancelled or reaped
        unit.attempt += 1
        unit.state, unit.started_at = UnitState.RUNNING, timezone.now()
        unit.heartbeat_at = unit.started_at
        unit.save(update_fields=["attempt", "state", "started_at", "heartbeat_at"])
        StagedRecord.objects.filter(unit=unit).exclude(attempt=unit.attempt).delete()
        return unit.attempt


def _heard(unit_id: int, attempt: int) -> bool:
    """The unit's heartbeat, at a batch; False when this attempt no longer runs it (taken again, or reaped)."""
    return bool(
        ScanUnit.objects.filter(pk=unit_id, attempt=attempt, state=UnitState.RUNNING).update(
            heartbeat_at=timezone.now()
        )
    )


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
        unit.heartbeat_at = unit.finished_at
        unit.save(update_fields=["state", "error", "records", "finished_at", "heartbeat_at"])
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
        with heartbeat.beating(scan_id):
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
    """Fail the lost units of spread scans still collecting (see the module's docstring: a running unit silent for
    ``stale_after`` seconds, a queued one when no worker took or reported any work for that long), and finish here
    the scans whose units have then all reported, partial. Also drops the staged rows of scans that ended
    (cancelled while units ran). Returns the scans finished."""
    seconds = stale_after or settings.SCAN_STALE_SECONDS
    cutoff = timezone.now() - timedelta(seconds=seconds)
    StagedRecord.objects.exclude(scan__state=ScanState.RUNNING).delete()
    collecting = Q(scan__state=ScanState.RUNNING, scan__storing_at__isnull=True)
    suspects = set(_silent(cutoff).filter(collecting).values_list("scan_id", flat=True))
    if not _workers_working(cutoff):
        suspects |= set(ScanUnit.objects.filter(collecting, state=UnitState.QUEUED).values_list("scan_id", flat=True))
    unfinished = Scan.objects.filter(state=ScanState.RUNNING, storing_at__isnull=True, heartbeat_at__lt=cutoff)
    suspects |= set(  # every unit reported, and no worker took the finishing task
        unfinished.filter(units__isnull=False).exclude(units__state__in=UNIT_OPEN).values_list("id", flat=True)
    )
    reaped = []
    for scan_id in sorted(suspects):
        with transaction.atomic():  # decided again under the scan's lock: no unit reports meanwhile
            scan = Scan.objects.select_for_update().get(pk=scan_id)
            if scan.state != ScanState.RUNNING or scan.storing_at is not None:
                continue  # cancelled, or being stored
            if ScanUnit.objects.filter(scan=scan, state__in=UNIT_OPEN).exists():
                lost = _lost(scan, cutoff, seconds)
                if not lost:
                    continue  # heard from, or taken, meanwhile
            elif scan.heartbeat_at is None or scan.heartbeat_at >= cutoff:
                continue  # the last unit reported meanwhile: its finishing task is on its way
            else:
                lost = []
            for unit, message in lost:
                error = CollectionError(unit.service, unit.region, message.format(seconds=seconds), "lost")
                unit.state, unit.error, unit.finished_at = UnitState.FAILED, error.as_dict(), timezone.now()
                unit.attempt += 1  # whatever a worker still running it stages from now on does not count
                unit.save(update_fields=["state", "error", "finished_at", "attempt"])
                StagedRecord.objects.filter(unit=unit).delete()
            if lost:
                names = ", ".join(f"{u.service}/{u.region}" for u, _ in lost)
                log.warning("scan %s of account %s: units lost: %s", scan_id, scan.account_id, names)
            if _all_reported(scan):
                reaped.append(scan_id)
    for scan_id in reaped:
        finish(scan_id, clock)
    return reaped


def _lost(scan: Scan, cutoff: datetime, seconds: int) -> list[tuple[ScanUnit, str]]:
    """The scan's lost units, their rows locked, with why: running and silent since ``cutoff``, or queued while no
    worker is working. Only those are locked: a sibling staging a batch or being taken is not waited for."""
    lost = [(unit, LOST) for unit in _silent(cutoff).filter(scan=scan).select_for_update()]
    if not _workers_working(cutoff):
        queued = ScanUnit.objects.select_for_update().filter(scan=scan, state=UnitState.QUEUED)
        lost += [(unit, NEVER_TAKEN) for unit in queued]
    return sorted(lost, key=lambda item: item[0].pk)


def _silent(cutoff: datetime) -> QuerySet[ScanUnit]:
    """Running units not heard from since ``cutoff`` (one taken before units had a heartbeat: since it was taken)."""
    heard = Coalesce("heartbeat_at", "started_at")
    return ScanUnit.objects.filter(state=UnitState.RUNNING).annotate(heard=heard).filter(heard__lt=cutoff)


def _workers_working(since: datetime) -> bool:
    """Whether any worker took or reported work since then: a unit of any scan taken, a batch staged or a unit
    reported (``ScanUnit.heartbeat_at``, which the sweep never sets), a scan started (its first task taken), or a
    scan being stored and heard from (its finishing task taken)."""
    # started since then: running, or finished after it started (both indexed, unlike started_at)
    started = Q(started_at__gte=since) & (Q(state=ScanState.RUNNING) | Q(finished_at__gte=since))
    storing = Q(state=ScanState.RUNNING, storing_at__isnull=False, heartbeat_at__gte=since)
    return ScanUnit.objects.filter(heartbeat_at__gte=since).exists() or Scan.objects.filter(started | storing).exists()
