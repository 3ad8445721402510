"""The scan pipeline as plain functions; ``tasks.py`` queues them and wraps them for Celery.

create_scan -> (tasks.enqueue_scan) -> run_scan: connect, plan, collect (parallel per
service x region), evaluate rules, persist in one transaction, take
compliance snapshots, set the final state.

Faults: a dropped database connection while storing rolls the transaction
back and it is tried again (:data:`settings.SCAN_STORE_ATTEMPTS`); a broker
that does not answer makes ``tasks.enqueue_scan`` mark the scan failed and raise
:class:`QueueUnavailable` within a few seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from collectors import REGISTRY
from collectors.failures import detail, traceback_detail
from collectors.records import ResourceRecord, Target
from collectors.redact import credential_values
from collectors.registry import Provider
from collectors.run import Collection, collect, plan
from posture.findings.mutes import apply_mutes
from posture.findings.snapshots import take_snapshots
from posture.inventory.failures import failure_message
from posture.inventory.models import CloudAccount
from posture.rules.evaluate import evaluate
from posture.scans import heartbeat
from posture.scans.container_drift import record_container_state
from posture.scans.image_scans import attach_image_scans, store_image_scans
from posture.scans.models import ACTIVE_STATES, Scan, ScanState, ScanUnit
from posture.scans.persist import PersistStats, persist_findings, persist_resources, resolve_gone
from posture.scans.signals import scan_finished
from posture.security import check_outbound_url

log = logging.getLogger(__name__)
ProgressFn = Callable[[int, int], None]
PROGRESS_WRITE_SECONDS = 0.5
CANCEL_CHECK_SECONDS = 0.5
Clock = Callable[[], datetime]
T = TypeVar("T")


class ScanRefused(Exception):
    """A scan cannot be started (disabled account, one already active)."""


class QueueUnavailable(Exception):
    """The broker did not take the scan; the scan is marked failed with this message."""


def create_scan(account: CloudAccount, *, trigger: str = "manual", user: Any = None) -> Scan:
    """A queued scan; refused while another scan of the account is queued or running."""
    if not account.enabled:
        raise ScanRefused(f"account {account.name} is disabled")
    active = Scan.objects.filter(account=account, state__in=ACTIVE_STATES).first()
    if active is not None:
        raise ScanRefused(f"account {account.name} already has scan {active.pk} {active.state}")
    try:
        with transaction.atomic():
            return Scan.objects.create(
                account=account,
                trigger=trigger,
                requested_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise ScanRefused(f"account {account.name} already has a scan queued or running") from None


def cancel_scan(scan: Scan) -> bool:
    """Cancel a queued or running scan; a running one stops at its next unit."""
    updated = Scan.objects.filter(pk=scan.pk, state__in=ACTIVE_STATES).update(
        state=ScanState.CANCELLED, finished_at=timezone.now()
    )
    scan.refresh_from_db()
    if updated:
        transaction.on_commit(lambda: scan_finished.send(sender=Scan, scan=scan))
    return bool(updated)


def _finish(scan: Scan, state: str, clock: Clock = timezone.now, **fields: Any) -> Scan:
    """Set a final state unless the scan was cancelled meanwhile; then tell the listeners."""
    Scan.objects.filter(pk=scan.pk).exclude(state=ScanState.CANCELLED).update(
        state=state, finished_at=clock(), **fields
    )
    scan.refresh_from_db()
    transaction.on_commit(lambda: scan_finished.send(sender=Scan, scan=scan))
    return scan


def _is_cancelled(scan_id: int) -> bool:
    return Scan.objects.filter(pk=scan_id, state=ScanState.CANCELLED).exists()


def throttled(check: Callable[[], bool], seconds: float) -> Callable[[], bool]:
    """``check`` asked at most once per ``seconds`` (the first time at once); in between, its last answer.

    Collection asks whether the scan was cancelled each time a unit ends: a query per unit, on the thread that
    hands out units, competing with the collecting threads. A cancel is noticed within ``seconds``.
    """
    last = [0.0, False]

    def ask() -> bool:
        now = time.monotonic()
        if not last[0] or now - last[0] >= seconds:
            last[:] = [now, check()]
        return bool(last[1])

    return ask


def shifted_clock(as_of: datetime) -> Clock:
    """A clock that starts at ``as_of`` and runs at real speed (replaying history, as the demo does)."""
    offset = as_of - timezone.now()
    return lambda: timezone.now() + offset


def connect(account: CloudAccount) -> tuple[Provider, Any, Target]:
    """The account's provider, an authenticated session and its target; raises for whatever stops a scan."""
    provider = REGISTRY.provider(account.provider)
    if account.endpoint_url:  # again at scan time: a name may resolve elsewhere now
        check_outbound_url(account.endpoint_url)
    target = account.target()
    provider.check_policy(target.credentials, target.policy)  # stored before a rule changed: refused, not run
    return provider, provider.connect(target), target


def run_scan(scan_id: int, on_progress: ProgressFn | None = None, clock: Clock = timezone.now) -> Scan:
    """Run a queued scan to its final state. Never raises for a cloud-side problem.

    ``clock`` gives every timestamp the scan writes (real time unless replaying history).
    """
    started = clock()
    if not Scan.objects.filter(pk=scan_id, state=ScanState.QUEUED).update(
        state=ScanState.RUNNING, started_at=started, heartbeat_at=timezone.now()
    ):
        return Scan.objects.get(pk=scan_id)  # cancelled, or another worker has it
    scan = Scan.objects.select_related("account").get(pk=scan_id)
    account = scan.account
    try:
        provider, session, target = connect(account)
        units = plan(provider, session, target)
    except Exception as exc:  # bad credentials, unreachable endpoint, unknown provider
        message = failure_message(account, exc, "the scan could not start")
        return _finish(scan, ScanState.FAILED, clock, message=message)
    Scan.objects.filter(pk=scan.pk).update(progress_total=len(units))

    written = [0.0]  # when progress was last written (monotonic); 0: not yet

    def progress(done: int, total: int) -> None:
        # a write is a commit, made on the thread that hands out the units: the first, the last and then at most
        # one every PROGRESS_WRITE_SECONDS (a count skipped just before a long unit shows when the next one ends)
        now = time.monotonic()
        if not written[0] or done >= total or now - written[0] >= PROGRESS_WRITE_SECONDS:
            Scan.objects.filter(pk=scan.pk).update(progress_done=done, heartbeat_at=timezone.now())
            written[0] = now
        if on_progress:
            on_progress(done, total)

    collection = collect(
        provider,
        session,
        units,
        known_secrets=tuple(credential_values(target.credentials)),
        concurrency=settings.SCAN_CONCURRENCY,
        unit_timeout=settings.SCAN_UNIT_TIMEOUT_SECONDS,
        on_progress=progress,
        cancelled=throttled(lambda: _is_cancelled(scan.pk), CANCEL_CHECK_SECONDS),
    )
    if collection.cancelled or _is_cancelled(scan.pk):
        scan.refresh_from_db()
        return scan
    attempts = settings.SCAN_STORE_ATTEMPTS
    try:
        with heartbeat.beating(scan.pk):
            return with_db_retry(lambda: _store(scan, collection, clock), attempts, f"storing scan {scan.pk}")
    except Exception as exc:  # the database or a bug: the transaction rolled back, nothing half-written
        tried = f" ({attempts} attempts)" if isinstance(exc, (OperationalError, InterfaceError)) else ""
        message = f"storing the results failed{tried}: {type(exc).__name__}"
        log.error("scan %s of %s: %s", scan.pk, account.name, message)
        log.debug("scan %s: storing failed — detail: %s", scan.pk, traceback_detail(exc))
        return with_db_retry(
            lambda: _finish(scan, ScanState.FAILED, clock, message=message), attempts, f"failing scan {scan.pk}"
        )


def with_db_retry(fn: Callable[[], T], attempts: int, what: str) -> T:
    """Call ``fn``; when the database connection drops, close it, wait 1, 2, 4... s and call again.

    ``fn`` must be one transaction (or idempotent): what a dropped connection interrupted was
    rolled back. Inside an outer transaction nothing can be retried, so the error goes up at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or attempt == attempts:
                raise
            delay = min(2 ** (attempt - 1), 30)
            log.warning(
                "%s: database error (%s); attempt %s of %s in %s s",
                what,
                type(exc).__name__,
                attempt + 1,
                attempts,
                delay,
            )
            log.debug("%s: database error — detail: %s", what, detail(exc))
            try:
                connection.close()
            except Exception:  # already broken: Django forgets it either way
                log.debug("closing a broken connection failed", exc_info=True)
            time.sleep(delay)
    raise AssertionError("unreachable")


def _store(scan: Scan, collection: Collection, clock: Clock) -> Scan:
    """Write everything and the final state in one transaction: all of it lands, or none of it."""
    current = Scan.objects.filter(pk=scan.pk).values_list("state", flat=True).first()
    if current != ScanState.RUNNING:  # a retry after a commit whose answer was lost, or a cancel
        scan.refresh_from_db()
        return scan
    errors = [e.as_dict() for e in collection.errors]
    if collection.units and len(collection.failed_units) == len(collection.units) and not collection.records:
        return _finish(scan, ScanState.FAILED, clock, errors=errors, message="every service failed; see errors")
    now = clock()
    records = attach_image_scans(scan.account, collection.records, now)
    results = list(evaluate(records))
    stats = PersistStats()
    with transaction.atomic():
        resource_ids = persist_resources(scan.account, scan, records, now, stats)
        images = store_image_scans(scan.account, records, now)
        persist_findings(scan.account, scan, results, resource_ids, now, stats)
        outcome = Outcome(len(collection.records), len(collection.units), len(collection.failed_units), errors)
        finished = close_scan(scan, outcome, collection.records, stats, images.new + images.updated, now, clock)
    return finished


@dataclass(frozen=True)
class Outcome:
    """What a scan collected: records kept, units planned and failed, and the failures as ``Scan.errors``."""

    resources: int
    units: int
    units_failed: int
    errors: list[dict[str, str]]


def close_scan(
    scan: Scan,
    outcome: Outcome,
    workloads: Iterable[ResourceRecord],
    stats: PersistStats,
    image_scans: int,
    now: datetime,
    clock: Clock,
) -> Scan:
    """After the resources and findings: what is gone, container drift, mutes, snapshots, counts, final state.

    Inside the transaction that stored the scan. ``workloads``: the scan's records (only workloads are read).
    """
    gone = resolve_gone(scan.account, scan, {e["service"] for e in outcome.errors}, now, stats)
    record_container_state(scan, workloads)
    apply_mutes([scan.account], now=now, rescore=False)
    snapshots = take_snapshots(scan, since=now, now=now)
    counts = {
        "resources": outcome.resources,
        "resources_new": stats.resources_new,
        "resources_changed": stats.resources_changed,
        "resources_gone": gone,
        "findings": dict(sorted(stats.statuses.items())),
        "findings_new": stats.findings_new,
        "transitions": {str(k): v for k, v in sorted(stats.transitions.items())},
        "snapshots": snapshots,
        "units": outcome.units,
        "units_failed": outcome.units_failed,
        "image_scans": image_scans,
    }
    state = ScanState.PARTIAL if outcome.errors else ScanState.SUCCEEDED
    finished = _finish(scan, state, clock, errors=outcome.errors, counts=counts, progress_done=outcome.units)
    log.info("scan %s of %s %s: %s", scan.pk, scan.account.name, state, counts)
    return finished


def reap_stale_scans(stale_after: int | None = None) -> list[int]:
    """Fail running scans whose worker stopped reporting (killed, or lost its connection)."""
    cutoff = timezone.now() - timedelta(seconds=stale_after or settings.SCAN_STALE_SECONDS)
    collecting = Exists(ScanUnit.objects.filter(scan=OuterRef("pk"))) & Q(storing_at__isnull=True)
    stale = list(  # a spread scan still collecting is spread.reap_lost_units' (a lost unit makes it partial)
        Scan.objects.filter(state=ScanState.RUNNING, heartbeat_at__lt=cutoff)
        .exclude(collecting)
        .values_list("id", flat=True)
    )
    for scan_id in stale:
        scan = Scan.objects.get(pk=scan_id)
        if Scan.objects.filter(pk=scan_id, state=ScanState.RUNNING, heartbeat_at__lt=cutoff).update(
            state=ScanState.FAILED,
            finished_at=timezone.now(),
            message="the worker stopped reporting progress (killed or disconnected); nothing of it was stored",
        ):
            log.warning("scan %s of account %s marked failed: no heartbeat since %s", scan_id, scan.account_id, cutoff)
    return stale
