"""A scan through a real Celery worker process on the local Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from posture.celery import app as celery_app
from posture.findings.models import Finding
from posture.inventory.models import Resource
from posture.paths.models import PathBuild
from posture.scans.models import FINAL_STATES, Scan, StagedRecord
from posture.scans.pipeline import create_scan, reap_stale_scans
from posture.scans.tasks import run_scan_task
from tests.conftest import require_service
from tests.support.aging import age

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("POSTURE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(request):
    """A worker process on a queue of its own; ``@pytest.mark.parametrize("worker", [{ENV}], indirect=True)``
    adds to its environment."""
    require_service("127.0.0.1", 6379, "Redis")
    queue = f"posture-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "POSTURE_PLUGINS": "tests.support.testcloud",
        "POSTURE_DATA_DIR": str(settings.DATA_DIR),
        "POSTURE_LOG_LEVEL": "warning",
        **getattr(request, "param", {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "posture",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    previous = {"broker_url": celery_app.conf.broker_url, "task_always_eager": celery_app.conf.task_always_eager}
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False)
    try:
        yield queue, process
    finally:
        celery_app.conf.update(**previous)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_scan_runs_through_a_real_worker(account, worker) -> None:
    queue, process = worker
    scan = create_scan(account, trigger="api")
    # An explicit connection: the app's default producer pool may already point at another broker.
    with celery_app.connection_for_write(BROKER) as conn:
        run_scan_task.apply_async((scan.pk,), queue=queue, connection=conn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scan.refresh_from_db()
        if scan.state in FINAL_STATES:
            break
        assert process.poll() is None, f"the worker died:\n{process.stdout.read()}"
        time.sleep(0.2)
    assert scan.state == "succeeded", (scan.state, scan.message, scan.errors)
    assert scan.counts["findings"] == {"FAIL": 2, "PASS": 2}
    assert Finding.objects.filter(account=account).count() == 4
    assert sorted(scan.units.values_list("service", "region", "state")) == [
        ("iam", "global", "done"),
        ("storage", "r1", "done"),
        ("storage", "r2", "done"),
    ], "a task per unit (POSTURE_SCAN_SPREAD is on by default with a broker)"
    assert StagedRecord.objects.count() == 0
    assert Scan.objects.get(pk=scan.pk).started_at is not None
    # the finished scan asked for an exposure-path rebuild: a task of its own, on the scan's queue
    while time.monotonic() < deadline and not PathBuild.objects.filter(pk=1, built__gte=1).exists():
        time.sleep(0.2)
    build = PathBuild.objects.get(pk=1)
    assert (build.requests, build.built, build.queued, build.requested_scan_id) == (1, 1, False, scan.pk)
    assert build.built_at is not None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_unit_makes_the_spread_scan_partial_naming_what_it_lost(account, estate, worker) -> None:
    from posture.scans.spread import reap_lost_units

    scan = killed_mid_scan(account, estate, worker)
    assert reap_lost_units(stale_after=3600) == []  # a unit just taken, a queue just moving: left alone
    age(hours=2)  # since then, no worker took or reported anything
    assert reap_stale_scans(stale_after=3600) == [], "a spread scan still collecting is not failed"
    assert reap_lost_units(stale_after=3600) == [scan.pk]
    scan.refresh_from_db()
    assert scan.state == "partial", (scan.state, scan.message)
    lost = [("storage", "r1", "lost"), ("storage", "r2", "lost")]  # the one it ran and the one it never took
    assert [(e["service"], e["region"], e["kind"]) for e in scan.errors] == lost
    assert scan.counts["resources"] == Resource.objects.filter(account=account).count() == 1, "the user is kept"
    assert Finding.objects.filter(account=account).count() == 1
    assert StagedRecord.objects.count() == 0
    assert create_scan(account).state == "queued", "the account can be scanned again"


def killed_mid_scan(account, estate, worker, hanging: str = "storage", reported: int = 1) -> Scan:
    """A scan whose (only) worker is killed while a unit of ``hanging`` hangs, after ``reported`` units reported."""
    import signal

    from tests.conftest import estate_doc

    doc = estate_doc()
    doc["hang"] = [{"service": hanging, "seconds": 120}]
    estate.write(doc)
    queue, process = worker
    scan = create_scan(account, trigger="api")
    with celery_app.connection_for_write(BROKER) as conn:
        run_scan_task.apply_async((scan.pk,), queue=queue, connection=conn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scan.refresh_from_db()
        if scan.state == "running" and scan.progress_done >= reported:  # planned first: iam, then storage
            break
        time.sleep(0.2)
    assert scan.state == "running"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    return scan


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("worker", [{"POSTURE_SCAN_SPREAD": "false"}], indirect=True)
def test_a_worker_killed_mid_scan_leaves_a_failed_scan_and_nothing_half_written(account, estate, worker) -> None:
    import signal

    from tests.conftest import estate_doc

    doc = estate_doc()
    doc["hang"] = [{"service": "iam", "seconds": 120}]
    estate.write(doc)
    queue, process = worker
    scan = create_scan(account, trigger="api")
    with celery_app.connection_for_write(BROKER) as conn:
        run_scan_task.apply_async((scan.pk,), queue=queue, connection=conn)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        scan.refresh_from_db()
        if scan.state == "running" and scan.progress_done >= 1:
            break
        time.sleep(0.2)
    assert scan.state == "running"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert scan.units.count() == 0, "one worker ran it all"
    assert reap_stale_scans(stale_after=3600) == []  # a fresh heartbeat is left alone
    Scan.objects.filter(pk=scan.pk).update(heartbeat_at=scan.heartbeat_at - timedelta(hours=2))
    assert reap_stale_scans(stale_after=3600) == [scan.pk]
    scan.refresh_from_db()
    assert scan.state == "failed" and "stopped reporting" in scan.message
    assert Finding.objects.filter(account=account).count() == 0
    assert create_scan(account).state == "queued", "the account can be scanned again"
