"""Units a spread scan loses (a stopped queue, a silent or stalled worker) are reaped by the sweep, and only
they: units waiting in a backed-up queue, or whose worker is heard from, are left alone; the sweep and the
workers take their row locks in one order."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from collectors.records import ResourceRecord
from posture.inventory.models import Resource
from posture.scans import spread, staged
from posture.scans.models import Scan, ScanUnit, StagedRecord
from tests.scans.spread_tasks import commits, lost, new_account, run, started, unit_of
from tests.support.aging import age

pytestmark = pytest.mark.django_db


@contextmanager
def row_locked_elsewhere(rows: QuerySet) -> Iterator[None]:
    """``rows`` locked by another session (a thread's transaction) for the block, while this session waits at
    most 2 s for any lock: a wait the lock order should never need fails the test instead of hanging it."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            list(rows.select_for_update())
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        release.set()
        holder.join(10)


def test_a_stopped_queue_makes_the_scan_partial_naming_the_lost_units(account) -> None:
    scan, _, finishing = started(account)
    taken = unit_of(scan, "storage", "r1")
    queued = unit_of(scan, "storage", "r2")
    run(unit_of(scan, "iam", "global").pk, finishing)
    spread._take(taken.pk)  # a worker took it and died
    assert finishing == [] and spread.finish(scan.pk).state == "running", "two units have not reported"
    assert spread.reap_lost_units(stale_after=3600) == [], "a unit just taken, a queue just moving: left alone"
    age(hours=2)  # since then, no worker took or reported anything
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [scan.pk]
    assert lost(scan) == [("storage", "r1", "lost", ""), ("storage", "r2", "lost", "never taken")]
    assert scan.state == "partial", "never silently complete"
    assert scan.counts["units_failed"] == 2 and scan.counts["resources"] == 1
    assert set(Resource.objects.values_list("uid", flat=True)) == {"u-alice"}
    assert run(queued.pk, finishing) == "skipped", "the lost task, delivered at last, does nothing"
    assert StagedRecord.objects.count() == 0


def test_units_waiting_in_a_backed_up_queue_are_not_lost(account, estate) -> None:
    waiting, waiting_units, _ = started(account)
    age(hours=2)  # queued long ago; since then the workers have been busy with another scan's units
    other, other_units, finishing = started(new_account(estate, "other"))
    age(hours=1.5)
    run(other_units[0], finishing)  # taken and reported just now
    assert spread.reap_lost_units(stale_after=3600) == []
    assert set(ScanUnit.objects.filter(scan=waiting).values_list("state", flat=True)) == {"queued"}
    assert Scan.objects.get(pk=waiting.pk).state == "running"
    assert run(waiting_units[0], finishing) == "done", "its turn came: it runs as usual"
    age(hours=2)  # then the queue stopped: nothing taken or reported anywhere since
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [waiting.pk, other.pk]
    assert [(e[2], e[3]) for e in lost(waiting)] == [("lost", "never taken")] * 2
    assert [(e[2], e[3]) for e in lost(other)] == [("lost", "never taken")] * 2
    assert waiting.state == other.state == "partial"


def test_a_scan_just_started_keeps_its_queued_units(account) -> None:
    age(hours=2)  # nothing before, but a worker has just taken the scan's first task
    scan, *_ = started(account)
    assert spread.reap_lost_units(stale_after=3600) == []
    assert set(ScanUnit.objects.filter(scan=scan).values_list("state", flat=True)) == {"queued"}


def test_queued_units_wait_while_a_worker_stores_another_scan(account, estate) -> None:
    waiting, *_ = started(account)
    storing, units, finishing = started(new_account(estate, "storing"))
    for unit in units:
        run(unit, finishing)
    age(hours=2)
    Scan.objects.filter(pk=storing.pk).update(storing_at=timezone.now(), heartbeat_at=timezone.now())  # a worker at it
    assert spread.reap_lost_units(stale_after=3600) == []
    assert set(ScanUnit.objects.filter(scan=waiting).values_list("state", flat=True)) == {"queued"}
    age(hours=2)  # the storing worker not heard from since: taken for dead (as pipeline.reap_stale_scans does)
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [waiting.pk]
    assert [(e[2], e[3]) for e in lost(waiting)] == [("lost", "never taken")] * 3


def test_a_silent_running_unit_is_lost_though_its_siblings_reported_recently(account) -> None:
    scan, _, finishing = started(account)
    silent = unit_of(scan, "storage", "r1")
    attempt = spread._take(silent.pk)  # a worker took it and died
    staged.stage(silent, attempt, [ResourceRecord("testcloud", "storage", "testcloud.storage.bucket", "x", "x", "r1")])
    age(hours=2)
    run(unit_of(scan, "iam", "global").pk, finishing)  # the scan hears from its other units
    still = unit_of(scan, "storage", "r2")
    spread._take(still.pk)  # taken just now
    assert Scan.objects.get(pk=scan.pk).heartbeat_at > timezone.now() - timedelta(minutes=5)
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [], "one unit still runs: not finished here"
    assert [u.state for u in ScanUnit.objects.filter(scan=scan).order_by("id")] == ["done", "failed", "running"]
    assert unit_of(scan, "storage", "r1").error["kind"] == "lost"
    assert not StagedRecord.objects.filter(unit=silent).exists(), "what it staged is dropped"
    with commits():
        assert not spread.report(silent.pk, attempt, None, 1, finishing.append), "its worker comes back too late"
    assert run(still.pk, finishing) == "done" and finishing == [scan.pk], "the last to report finishes the scan"
    assert spread.finish(scan.pk).state == "partial"
    assert lost(scan) == [("storage", "r1", "lost", "")]
    assert set(Resource.objects.values_list("uid", flat=True)) == {"u-alice", "b-r2"}


def test_a_unit_heard_from_at_each_batch_is_left_alone_however_long_it_runs(account, monkeypatch) -> None:
    scan, _, finishing = started(account)
    reaps = []

    def stage_slowly(unit: ScanUnit, attempt: int, records: list[ResourceRecord]) -> None:
        reaps.append(spread.reap_lost_units(stale_after=3600))  # the sweep, between two batches
        staged.stage(unit, attempt, records)
        age(hours=2)  # each batch comes two hours after the one before

    monkeypatch.setattr(spread, "stage", stage_slowly)
    assert run(unit_of(scan, "storage", "r1").pk, finishing, batch_size=1) == "done"
    assert reaps == [[], []], "reaped at none of its two batches"
    assert sorted(ScanUnit.objects.filter(scan=scan).values_list("region", "state")) == [
        ("global", "queued"),
        ("r1", "done"),
        ("r2", "queued"),
    ], "a worker at work: the queued units are waiting, not lost"


def test_a_scan_whose_finishing_task_no_worker_took_is_finished_by_the_sweep(account) -> None:
    scan, units, finishing = started(account)
    for unit in units:
        run(unit, finishing)
    assert finishing == [scan.pk]  # ... and the broker lost it
    assert spread.reap_lost_units(stale_after=3600) == [], "its finishing task may just be waiting"
    age(hours=2)
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [scan.pk]
    scan.refresh_from_db()
    assert scan.state == "succeeded" and scan.errors == [], "nothing was lost"
    assert spread.finish(scan.pk).state == "succeeded", "the task, delivered at last, changes nothing"


def test_a_reaped_unit_whose_worker_comes_back_stops_and_counts_nothing(account, monkeypatch) -> None:
    scan, _, finishing = started(account)
    for unit in (unit_of(scan, "iam", "global"), unit_of(scan, "storage", "r2")):
        run(unit.pk, finishing)
    reaps = []

    def stage_then_stall(unit: ScanUnit, attempt: int, records: list[ResourceRecord]) -> None:
        staged.stage(unit, attempt, records)
        age(hours=2)  # the worker stalls after its first batch, long enough to be reaped
        with commits():
            reaps.append(spread.reap_lost_units(stale_after=3600))

    monkeypatch.setattr(spread, "stage", stage_then_stall)
    assert run(unit_of(scan, "storage", "r1").pk, finishing, batch_size=1) == "superseded"
    assert reaps == [[scan.pk]], "reaped once, at its first batch; its second batch found it superseded"
    assert lost(scan) == [("storage", "r1", "lost", "")] and scan.state == "partial"
    assert not Resource.objects.filter(uid__in=["b-public", "b-private"]).exists()
    assert StagedRecord.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_a_unit_while_the_sweep_holds_its_scan(account) -> None:
    """One lock order, the scan's row before its units': taking a unit never waits for the scan's row, which the
    sweep (or a report) holds while it waits for that unit's row; the other order would deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writes one transaction at a time)")
    scan, units, _ = started(account)
    with row_locked_elsewhere(Scan.objects.filter(pk=scan.pk)):  # the sweep holding the scan's row
        assert spread._take(units[0]) == 1, "taken without waiting for the scan's row"
    assert ScanUnit.objects.get(pk=units[0]).state == "running"


@pytest.mark.django_db(transaction=True)
def test_the_sweep_locks_only_the_units_it_reaps(account) -> None:
    """A sibling being taken (its row locked) does not hold up the sweep reaping a silent unit of the same scan."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writes one transaction at a time)")
    scan, _, _ = started(account)
    silent, queued, fresh = (unit_of(scan, *key) for key in (("storage", "r1"), ("storage", "r2"), ("iam", "global")))
    spread._take(silent.pk)
    age(hours=2)
    spread._take(fresh.pk)  # the workers are at work
    with row_locked_elsewhere(ScanUnit.objects.filter(pk=queued.pk)):  # a worker taking the sibling
        assert spread.reap_lost_units(stale_after=3600) == []
    states = dict(ScanUnit.objects.filter(scan=scan).values_list("region", "state"))
    assert states == {"r1": "failed", "r2": "queued", "global": "running"}
