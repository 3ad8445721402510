"""A scan being stored keeps its heartbeat: the stale-scan reaper does not fail a long store (PostgreSQL, where a
second connection can write while the store's transaction is open)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection

from posture.scans import heartbeat, pipeline
from posture.scans.models import Scan
from posture.scans.pipeline import create_scan, reap_stale_scans, run_scan

pytestmark = pytest.mark.django_db(transaction=True)


def in_own_connection(fn: Any) -> Any:
    """``fn()`` on a thread of its own (its own connection: it sees only what is committed)."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return out[0]


def store_slowly(account, monkeypatch, beat_every: float) -> tuple[Scan, Any, list[int], float]:
    """A scan whose store takes 3 s longer, beating every ``beat_every`` s; at the store's end, what another
    connection sees: the heartbeat, and which scans a reaper with a 2 s stale limit fails. The scan as it ended,
    those two, and when it started."""
    if connection.vendor != "postgresql":
        pytest.skip("a heartbeat during the store needs a second writer (PostgreSQL)")
    monkeypatch.setattr(heartbeat, "interval", lambda: beat_every)
    persist, seen = pipeline.persist_findings, []

    def slowly(*args: Any, **kwargs: Any) -> Any:
        scan = args[1]
        time.sleep(3.0)
        seen.append(in_own_connection(lambda: Scan.objects.get(pk=scan.pk).heartbeat_at))
        seen.append(in_own_connection(lambda: reap_stale_scans(stale_after=2)))
        return persist(*args, **kwargs)

    monkeypatch.setattr(pipeline, "persist_findings", slowly)
    started = time.time()
    done = run_scan(create_scan(account).pk)
    beat_at, reaped = seen
    return done, beat_at, reaped, started


def test_a_long_store_keeps_the_heartbeat_and_is_not_reaped(account, monkeypatch) -> None:
    done, beat_at, reaped, started = store_slowly(account, monkeypatch, beat_every=0.5)
    assert reaped == [] and done.state == "succeeded"
    assert beat_at.timestamp() > started + 2  # moved while the store's transaction was open


def test_without_the_heartbeat_the_same_store_would_be_reaped(account, monkeypatch) -> None:
    """The look-alike: the reaper does fail a silent store, so the test above proves the heartbeat."""
    done, _, reaped, _ = store_slowly(account, monkeypatch, beat_every=60.0)
    assert reaped == [done.pk]
