"""The embedded default's worker: scans started from a page run in one background thread of the server.

Without a broker Celery runs tasks eagerly, in the caller: a scan started from a page would hold the
request until it finished. Here the scan ids go to a queue instead, served by one daemon thread (scans
one at a time, so SQLite sees one writer per scan); the page returns at once and polls the scan's row.
With a broker (``CELERY_BROKER_URL``) the Celery workers do this and nothing here runs.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from posture.scans.models import ACTIVE_STATES, Scan, ScanState
from posture.scans.pipeline import run_scan

log = logging.getLogger(__name__)

_queue: queue.SimpleQueue[int] = queue.SimpleQueue()
_lock = threading.Lock()
_worker: threading.Thread | None = None
_idle = threading.Condition()
_pending = 0  # scans submitted and not yet done, with what their finish set off in this thread


def in_background() -> bool:
    """Eager Celery (no broker) and ``POSTURE_SCAN_IN_BACKGROUND`` on: scans go to this process's worker."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER and settings.SCAN_IN_BACKGROUND)


def submit(scan_id: int) -> None:
    """Queue the scan for the background thread (started on first use)."""
    global _worker, _pending
    with _idle:
        _pending += 1
    with _lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_serve, name="posture-scan-worker", daemon=True)
            _worker.start()
    _queue.put(scan_id)


def _serve() -> None:
    global _pending
    while True:
        scan_id = _queue.get()
        try:
            run_one(scan_id)
        finally:
            with _idle:
                _pending -= 1
                _idle.notify_all()


def wait_idle(timeout: float) -> bool:
    """Wait until every submitted scan is done, the path rebuild its finish asked for included (a scan's
    state turns final before that); False if ``timeout`` seconds pass first."""
    with _idle:
        return _idle.wait_for(lambda: _pending == 0, timeout)


def run_one(scan_id: int, run: Callable[[int], object] | None = None) -> None:
    """Run one scan with a fresh database connection; anything unexpected fails the scan with its kind."""
    close_old_connections()
    try:
        (run or run_scan)(scan_id)
    except Exception as exc:  # a bug or a lost database: the scan must not stay running for ever
        log.exception("scan %s: the background run failed", scan_id)
        fail_unfinished(scan_id, f"the scan stopped on an internal error ({type(exc).__name__})")
    finally:
        connection.close()


def fail_unfinished(scan_id: int, message: str) -> None:
    try:
        Scan.objects.filter(pk=scan_id, state__in=ACTIVE_STATES).update(
            state=ScanState.FAILED, finished_at=timezone.now(), message=message
        )
    except Exception:  # the database itself is gone: the stale-scan reaper marks it later
        log.exception("scan %s: could not be marked failed", scan_id)
