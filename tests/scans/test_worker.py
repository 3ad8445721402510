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
from posture.scans.models import FINAL_STATES, Scan
from posture.scans.pipeline import create_scan
from posture.scans.tasks import run_scan_task
from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
BROKER = os.environ.get("POSTURE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker():
    require_service("127.0.0.1", 6379, "Redis")
    queue = f"posture-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "POSTURE_PLUGINS": "tests.support.testcloud",
        "POSTURE_DATA_DIR": str(settings.DATA_DIR),
        "POSTURE_LOG_LEVEL": "warning",
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
    assert Scan.objects.get(pk=scan.pk).started_at is not None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_scan_leaves_a_failed_scan_and_nothing_half_written(account, estate, worker) -> None:
    import signal

    from posture.scans.pipeline import reap_stale_scans
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
    assert reap_stale_scans(stale_after=3600) == []  # a fresh heartbeat is left alone
    Scan.objects.filter(pk=scan.pk).update(heartbeat_at=scan.heartbeat_at - timedelta(hours=2))
    assert reap_stale_scans(stale_after=3600) == [scan.pk]
    scan.refresh_from_db()
    assert scan.state == "failed" and "stopped reporting" in scan.message
    assert Finding.objects.filter(account=account).count() == 0
    assert create_scan(account).state == "queued", "the account can be scanned again"
