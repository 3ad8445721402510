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


def slow_store(monkeypatch, seconds: float, during: list[Any], stale_after: int) -> None:
    """The store takes ``seconds`` longer; at its end, what another connection sees: the heartbeat and a reap."""
    persist = pipeline.persist_findings

    def slowly(*args: Any, **kwargs: Any) -> Any:
        scan = args[1]
        time.sleep(seconds)
        during.append(in_own_connection(lambda: Scan.objects.get(pk=scan.pk).heartbeat_at))
        during.append(in_own_connection(lambda: reap_stale_scans(stale_after=stale_after)))
        return persist(*args, **kwargs)

    monkeypatch.setattr(pipeline, "persist_findings", slowly)


def test_a_long_store_keeps_the_heartbeat_and_is_not_reaped(account, monkeypatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("a heartbeat during the store needs a second writer (PostgreSQL)")
    monkeypatch.setattr(heartbeat, "interval", lambda: 0.5)
    during: list[Any] = []
    slow_store(monkeypatch, 3.0, during, stale_after=2)
    scan = create_scan(account)
    started = time.time()
    done = run_scan(scan.pk)
    beat_at, reaped = during
    assert reaped == [] and done.state == "succeeded"
    assert beat_at.timestamp() > started + 2  # moved while the store's transaction was open


def test_without_the_heartbeat_the_same_store_would_be_reaped(account, monkeypatch) -> None:
    """The look-alike: the reaper does fail a silent store, so the test above proves the heartbeat."""
    if connection.vendor != "postgresql":
        pytest.skip("a heartbeat during the store needs a second writer (PostgreSQL)")
    monkeypatch.setattr(heartbeat, "interval", lambda: 60.0)
    during: list[Any] = []
    slow_store(monkeypatch, 3.0, during, stale_after=2)
    scan = create_scan(account)
    run_scan(scan.pk)
    _, reaped = during
    assert reaped == [scan.pk]
