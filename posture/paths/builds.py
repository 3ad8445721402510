"""When the exposure paths are rebuilt: once per burst of finished scans, in a task of its own, one at a time.

A rebuild reads every enabled account's stored resources, so it does not belong in the process that finished
a scan (that worker's memory would be the scan's plus the whole estate's), nor should ten scans finishing
together mean ten rebuilds. So:

- a finished scan *asks* (:func:`request_build`): it counts one more ask on the :class:`PathBuild` row and queues
  the rebuild task, unless one is already waiting (``queued``); asks made while it waits ride along with it;
- the task (:func:`run_build`) first clears ``queued`` (an ask made from now on queues the next task, so no ask is
  missed while a build reads the estate), then builds under a lock, so two workers never build at once, and
  does nothing if a build that started after the last ask already ran;
- the path events (``path.opened`` / ``path.closed``) are queued from the build, and their webhooks woken;
- a task the broker lost (``queued`` for longer than ``POSTURE_SCAN_STALE_SECONDS``) is queued again by the
  periodic :func:`requeue_lost`.

With a broker the rebuild runs in whichever worker takes it; without one (the embedded default) Celery runs it
in the caller, right after the scan, as before. ``manage.py paths rebuild`` builds at once (:func:`run_build`
with ``force``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from posture.paths.models import PathBuild
from posture.paths.refresh import Refreshed, refresh_paths
from posture.scans.models import Scan

log = logging.getLogger(__name__)
LOCK_KEY = 0x5041_5448  # "PATH": PostgreSQL's advisory lock for builds (SQLite writes one at a time anyway)
Send = Callable[[], None]


def state() -> PathBuild:
    """The one row, made on first use."""
    try:
        return PathBuild.objects.get_or_create(pk=1)[0]
    except IntegrityError:  # made meanwhile by another process
        return PathBuild.objects.get(pk=1)


def request_build(scan: Scan | None, send: Send) -> bool:
    """Count an ask; queue the rebuild (``send``, once the transaction commits) unless one is waiting already.

    Returns whether a task was queued. If the broker refuses it, the ask stays counted and ``queued`` is taken
    back, so the next scan (or :func:`requeue_lost`) queues it.
    """
    state()
    now = timezone.now()
    PathBuild.objects.filter(pk=1).update(requests=F("requests") + 1, requested_scan=scan)
    if not PathBuild.objects.filter(pk=1, queued=False).update(queued=True, queued_at=now):
        return False  # a task is waiting: it will build from what is stored by then, this scan included

    def queue() -> None:
        try:
            send()
        except Exception as exc:  # the broker is down: nothing waits, so the next ask queues again
            PathBuild.objects.filter(pk=1).update(queued=False)
            log.warning("paths: the rebuild could not be queued (%s); the next scan asks again", type(exc).__name__)
            log.debug("paths: queueing the rebuild failed", exc_info=True)

    transaction.on_commit(queue)
    return True


def _lock() -> None:
    """Inside the build's transaction: wait for any other build to end (PostgreSQL; released at commit)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def run_build(*, force: bool = False) -> Refreshed | None:
    """Rebuild the paths if an ask is not yet covered (or ``force``); None when there was nothing to do.

    The opened and closed paths are dispatched as webhook events once the build has committed.
    """
    state()
    PathBuild.objects.filter(pk=1).update(queued=False)
    started = time.monotonic()
    with transaction.atomic():
        _lock()
        row = PathBuild.objects.select_related("requested_scan").get(pk=1)
        if not force and row.built >= row.requests:
            return None  # a build that started after the last ask has run
        scan = row.requested_scan
        refreshed = refresh_paths(scan, timezone.now())
        # the asks counted when the build started are covered (one made since stays pending and queued its own
        # task); written at the end, so a scan finishing meanwhile never waits on this row for the whole build
        PathBuild.objects.filter(pk=1).update(
            built=row.requests, built_at=timezone.now(), seconds=round(time.monotonic() - started, 3)
        )
    dispatch(refreshed, scan)
    return refreshed


def dispatch(refreshed: Refreshed, scan: Scan | None) -> None:
    """Queue the build's path events and wake their webhooks; a problem here never undoes the build."""
    if not (refreshed.opened or refreshed.closed):
        return
    try:
        from posture.integrations.events import due_targets
        from posture.integrations.path_events import dispatch_paths
        from posture.integrations.tasks import wake

        if dispatch_paths(refreshed.opened, refreshed.closed, scan):
            wake(due_targets())
    except Exception:
        log.exception("paths: queueing the path events failed; the paths themselves are stored")


def requeue_lost(send: Send, stale_after: int | None = None) -> bool:
    """Queue the rebuild again if its task has waited longer than the stale time (the broker lost it)."""
    cutoff = timezone.now() - timedelta(seconds=stale_after or settings.SCAN_STALE_SECONDS)
    if not PathBuild.objects.filter(pk=1, queued=True, queued_at__lt=cutoff).update(queued_at=timezone.now()):
        return False
    log.warning("paths: the queued rebuild was not taken for a long time; queued again")
    send()
    return True
