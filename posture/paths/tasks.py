"""The exposure paths' Celery tasks and the ``scan_finished`` receiver that asks for them (thin: see
:mod:`posture.paths.builds`)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from posture.paths import builds
from posture.scans.models import Scan, ScanState

log = logging.getLogger(__name__)


def on_scan_finished(sender: Any, scan: Scan, **kwargs: Any) -> None:
    """A stored scan changes the estate, so it asks for a rebuild (a task of its own, coalesced); a path problem
    never reaches the scan."""
    if scan.state not in (ScanState.SUCCEEDED, ScanState.PARTIAL):
        return
    try:
        builds.request_build(scan, send)
    except Exception:
        log.exception("paths: asking for a rebuild after scan %s failed; the next scan asks again", scan.pk)


@shared_task(name="posture.paths.tasks.rebuild_paths")
def rebuild_paths_task() -> int | None:
    """Rebuild the paths if a finished scan asked since the last build; the paths found, or None."""
    done = builds.run_build()
    return done.paths if done is not None else None


@shared_task(name="posture.paths.tasks.requeue_lost_rebuild")
def requeue_lost_rebuild_task() -> bool:
    """Periodic: queue the rebuild again if the broker lost its task."""
    return builds.requeue_lost(send)


def send() -> None:
    """Queue the rebuild; from inside a task (a worker finishing a scan), to the queue that task came from."""
    from celery import current_task

    info = current_task.request.delivery_info if current_task else None  # a proxy: falsy outside a task
    queue = (info or {}).get("routing_key")
    rebuild_paths_task.apply_async(**({"queue": queue} if queue else {}))
