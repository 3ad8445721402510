"""When paths are rebuilt: finished scans ask, one task is queued per burst of asks, a build covers every ask made
before it started, an ask during a build queues the next, a refused or lost task is queued again, two builds never
run at once, and the build's path events reach the webhooks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from posture.integrations.models import Delivery, Event, WebhookEndpoint
from posture.paths import builds, tasks
from posture.paths.models import ExposurePath, PathBuild
from posture.scans.models import Scan, ScanState
from posture.scans.signals import scan_finished
from tests.paths.estate import Estate, allow, exposed_app, role_arn
from tests.paths.stored import store

IRSA = "eks.amazonaws.com/role-arn"


def estate() -> Estate:
    estate = Estate()
    exposed_app(estate, "web")
    estate.service_account("web", {IRSA: role_arn("web")})
    estate.bucket("customer-data")
    estate.aws_account()
    estate.role("web", allow("*", "*"))
    return estate


class Sent:
    """A stand-in for the broker: counts the tasks queued; ``refuse`` makes it raise as a dead broker does."""

    def __init__(self, refuse: bool = False) -> None:
        self.count, self.refuse = 0, refuse

    def __call__(self) -> None:
        if self.refuse:
            raise ConnectionError("broker down")
        self.count += 1


def finished_scan(account, state: str = ScanState.SUCCEEDED) -> Scan:
    return Scan.objects.create(account=account, state=state, finished_at=timezone.now())


@pytest.mark.django_db
def test_asks_made_while_a_task_waits_ride_along_and_one_build_covers_them(django_capture_on_commit_callbacks):
    accounts = store(estate())
    scans = [finished_scan(a) for a in accounts.values()]
    sent = Sent()
    with django_capture_on_commit_callbacks(execute=True):
        queued = [builds.request_build(scan, sent) for scan in scans]
    assert queued == [True, False, False] and sent.count == 1
    row = PathBuild.objects.get(pk=1)
    assert (row.requests, row.built, row.queued, row.pending) == (3, 0, True, True)
    assert row.requested_scan_id == scans[-1].pk

    done = builds.run_build()
    assert done is not None and done.paths == 2
    row.refresh_from_db()
    assert (row.requests, row.built, row.queued, row.pending) == (3, 3, False, False)
    assert ExposurePath.objects.filter(closed_at__isnull=True).count() == 2
    assert row.built_at is not None and row.seconds is not None
    assert set(ExposurePath.objects.values_list("scan_id", flat=True)) == {scans[-1].pk}
    assert builds.run_build() is None, "a second task for the same asks builds nothing"


@pytest.mark.django_db
def test_a_scan_finishing_during_a_build_queues_the_next_build(monkeypatch, django_capture_on_commit_callbacks):
    accounts = store(estate())
    first, second = finished_scan(accounts[1]), finished_scan(accounts[2])
    sent = Sent()
    with django_capture_on_commit_callbacks(execute=True):
        builds.request_build(first, sent)
    real = builds.refresh_paths

    def build_while_a_scan_finishes(scan, now):
        builds.request_build(second, sent)  # the estate was read before this scan: it needs a build of its own
        return real(scan, now)

    monkeypatch.setattr(builds, "refresh_paths", build_while_a_scan_finishes)
    with django_capture_on_commit_callbacks(execute=True):
        assert builds.run_build() is not None
    row = PathBuild.objects.get(pk=1)
    assert sent.count == 2 and row.queued and (row.requests, row.built) == (2, 1) and row.pending
    monkeypatch.setattr(builds, "refresh_paths", real)
    assert builds.run_build() is not None
    row.refresh_from_db()
    assert (row.requests, row.built, row.queued) == (2, 2, False)


@pytest.mark.django_db
def test_a_refused_task_is_queued_by_the_next_ask_and_a_lost_one_by_the_sweep(django_capture_on_commit_callbacks):
    account = store(estate())[1]
    with django_capture_on_commit_callbacks(execute=True):
        assert builds.request_build(finished_scan(account), Sent(refuse=True))
    row = PathBuild.objects.get(pk=1)
    assert (row.requests, row.queued) == (1, False), "the ask is kept, nothing is waiting"
    sent = Sent()
    with django_capture_on_commit_callbacks(execute=True):
        assert builds.request_build(finished_scan(account), sent)
    assert sent.count == 1

    assert not builds.requeue_lost(sent, stale_after=600), "a task queued a moment ago is left alone"
    PathBuild.objects.filter(pk=1).update(queued_at=timezone.now() - timedelta(hours=1))
    assert builds.requeue_lost(sent, stale_after=600) and sent.count == 2
    assert not builds.requeue_lost(sent, stale_after=600), "queued again just now"


@pytest.mark.django_db
def test_only_a_stored_scan_asks_and_the_receiver_builds_at_once_without_a_broker(django_capture_on_commit_callbacks):
    account = store(estate())[1]
    for state in (ScanState.FAILED, ScanState.CANCELLED):
        scan_finished.send(sender=Scan, scan=finished_scan(account, state))
    assert not PathBuild.objects.exists() and not ExposurePath.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        scan_finished.send(sender=Scan, scan=finished_scan(account, ScanState.PARTIAL))
    assert ExposurePath.objects.count() == 2, "eager Celery: the rebuild ran in the caller"
    assert PathBuild.objects.get(pk=1).built == 1


@pytest.mark.django_db
def test_a_build_queues_its_path_events_for_the_webhooks(django_capture_on_commit_callbacks):
    account = store(estate())[1]
    hook = WebhookEndpoint(name="paths", url="https://hooks.example.test/in", events=[Event.PATH_OPENED])
    hook.secret = "a-webhook-secret-of-some-length"
    hook.save()
    scan = finished_scan(account)
    with django_capture_on_commit_callbacks(execute=True):
        builds.request_build(scan, Sent())
    builds.run_build()
    keys = sorted(Delivery.objects.filter(webhook=hook).values_list("dedupe_key", flat=True))
    assert len(keys) == 2 and all(k.endswith(f":opened:{scan.pk}") for k in keys)


@pytest.mark.django_db
def test_a_broken_build_never_reaches_the_scan(monkeypatch, django_capture_on_commit_callbacks):
    account = store(estate())[1]

    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(builds, "request_build", broken)
    tasks.on_scan_finished(Scan, scan=finished_scan(account))  # logged, not raised


@pytest.mark.django_db(transaction=True)
def test_two_builds_never_run_at_once():
    if connection.vendor != "postgresql":
        pytest.skip("the build lock is PostgreSQL's (SQLite writes one transaction at a time anyway)")
    store(estate())
    holding, release, built = threading.Event(), threading.Event(), threading.Event()

    def other_build() -> None:
        with transaction.atomic():
            builds._lock()
            holding.set()
            release.wait(10)
        connection.close()

    def forced() -> None:
        builds.run_build(force=True)
        built.set()
        connection.close()

    threads = [threading.Thread(target=other_build), threading.Thread(target=forced)]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    assert not built.wait(1), "the second build waits for the first"
    release.set()
    assert built.wait(10)
    for thread in threads:
        thread.join(10)
    assert ExposurePath.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_scan_asking_during_a_build_does_not_wait_for_it(monkeypatch):
    """The build marks the asks it covers at its end: a scan finishing meanwhile counts its ask at once instead of
    waiting on the build's row until the build commits."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writes one transaction at a time)")
    accounts = store(estate())
    first, second = finished_scan(accounts[1]), finished_scan(accounts[2])
    builds.request_build(first, Sent())
    inside, release = threading.Event(), threading.Event()
    real = builds.refresh_paths

    def slow(scan, now):
        inside.set()
        release.wait(10)
        return real(scan, now)

    monkeypatch.setattr(builds, "refresh_paths", slow)

    def build() -> None:
        builds.run_build()
        connection.close()

    thread = threading.Thread(target=build)
    thread.start()
    assert inside.wait(10)
    asked = threading.Event()

    def ask() -> None:
        builds.request_build(second, Sent())
        asked.set()
        connection.close()

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        assert asked.wait(3), "the ask waited for the build"
    finally:
        release.set()
        thread.join(10)
        asker.join(10)
    row = PathBuild.objects.get(pk=1)
    assert (row.requests, row.built) == (2, 1) and row.pending
