"""A scan's heartbeat while it is being stored.

Storing is one transaction, and what it writes is invisible until it commits: a store longer than
``POSTURE_SCAN_STALE_SECONDS`` would look like a dead worker to the stale-scan reaper. While a store runs, a
thread with a database connection of its own moves ``Scan.heartbeat_at`` every third of that time.

PostgreSQL only: SQLite has one writer, so a second connection would wait for the store's commit, and no
reaper runs in the embedded default (it needs a broker's beat).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.utils import timezone

from posture.scans.models import Scan, ScanState

log = logging.getLogger(__name__)


def interval() -> float:
    return max(1.0, settings.SCAN_STALE_SECONDS / 3)


@contextmanager
def beating(scan_id: int, every: float | None = None) -> Iterator[None]:
    """Keep the running scan's heartbeat fresh for as long as the block runs."""
    if connection.vendor != "postgresql":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_beat, args=(scan_id, every or interval(), stop), name=f"scan-{scan_id}-heartbeat", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def _beat(scan_id: int, every: float, stop: threading.Event) -> None:
    try:
        while not stop.wait(every):
            try:
                Scan.objects.filter(pk=scan_id, state=ScanState.RUNNING).update(heartbeat_at=timezone.now())
            except Exception:  # the database is away: the store finds out on its own; a later beat may get through
                log.debug("scan %s: a heartbeat during the store failed", scan_id, exc_info=True)
    finally:
        connection.close()  # this thread's own connection
