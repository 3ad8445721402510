"""Through the real worker: two scans of one account at once, a task delivered twice, a service that hangs."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from posture.celery import app as celery_app
from posture.scans.tasks import run_scan_task
from tests.faults.app import ROOT
from tests.faults.conftest import WORKER_ENV
from tests.faults.faults import FindingsLock, final_scan

pytestmark = pytest.mark.services
STORED = {"resources": 601, "findings": 601, "events": 201, "duplicated": 0}


def test_two_scans_of_one_account_at_once_one_is_refused(pg_app, private_postgres) -> None:
    FindingsLock(private_postgres, pg_app).wait_until_quiet()
    with FindingsLock(private_postgres, pg_app):  # whichever scan starts first stays running while the other starts
        command = [sys.executable, "manage.py", "scan", "twice", "--async"]
        both = [subprocess.Popen(command, cwd=ROOT, env=pg_app.env, stderr=subprocess.PIPE, text=True) for _ in "ab"]
        results = [(p.wait(timeout=60), p.stderr.read()) for p in both]
    assert sorted(code for code, _ in results) == [0, 1], results
    assert "already has" in next(err for code, err in results if code == 1)
    scan = final_scan(pg_app, "twice")
    assert scan["state"] == "succeeded", scan
    count = "SELECT count(*) FROM scans_scan s JOIN inventory_cloudaccount a ON a.id = s.account_id WHERE a.name = %s"
    assert pg_app.query(count, "twice") == [(1,)]
    assert pg_app.stored("twice") == STORED


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_a_scan_task_delivered_again_does_not_run_twice(pg_app, private_redis) -> None:
    import redis

    pg_app.manage("scan", "redelivered", "--async")
    scan = final_scan(pg_app, "redelivered")
    before = pg_app.stored("redelivered")
    with celery_app.connection_for_write(private_redis.url) as conn:  # what a redelivery after a crash does
        for _ in range(2):
            celery_app.send_task(run_scan_task.name, (scan["id"],), connection=conn)
    queue = redis.Redis.from_url(private_redis.url)

    def idle() -> bool:  # late acknowledgement: a message stays in "unacked" until its task returned
        empty = lambda: queue.llen("celery") == 0 and queue.hlen("unacked") == 0  # noqa: E731
        return empty() and time.sleep(0.3) is None and empty()  # twice: not between taking one and marking it

    pg_app.wait_for("the worker to take both", idle)
    assert pg_app.scan_of("redelivered") == scan
    assert pg_app.stored("redelivered") == before == STORED


def test_a_hanging_service_cannot_hold_a_scan(pg_app) -> None:
    pg_app.manage("scan", "hanging", "--async")
    scan = final_scan(pg_app, "hanging")
    assert scan["state"] == "partial", scan
    ((started, finished, errors),) = pg_app.query(
        "SELECT started_at, finished_at, errors FROM scans_scan WHERE id = %s", scan["id"]
    )
    assert [(e["service"], e["kind"]) for e in errors] == [("iam", "timeout")]
    assert (finished - started).total_seconds() < 3 + 10, "a unit gets 3 s (POSTURE_SCAN_UNIT_TIMEOUT_SECONDS)"
    stored = pg_app.stored("hanging")
    assert (stored["resources"], stored["duplicated"]) == (600, 0), "everything but the hanging service is kept"


def test_a_worker_killed_while_storing_leaves_nothing_and_the_scan_is_reaped(pg_app, private_postgres) -> None:
    (worker,) = pg_app.workers
    lock = FindingsLock(private_postgres, pg_app)
    lock.wait_until_quiet()  # the rebuild the hanging scan asked for would hold the worker at the lock
    with lock:
        pg_app.manage("scan", "killed", "--async")
        assert lock.wait_for_a_writer()["wrote"]
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    pg_app.workers.remove(worker)
    pg_app.start_worker(**WORKER_ENV)  # for whatever runs next
    # Its session is gone with it: PostgreSQL rolled the open transaction back.
    pg_app.wait_for("the dead worker's session to end", lambda: lock.waiting() is None)
    assert pg_app.stored("killed") == {"resources": 0, "findings": 0, "events": 0, "duplicated": 0}
    assert pg_app.scan_of("killed")["state"] == "running"
    time.sleep(1)  # the reaper (every 2 minutes, POSTURE_SCAN_STALE_SECONDS) fails it; here stale after 1 s
    pg_app.manage("shell", "-c", "from posture.scans.pipeline import reap_stale_scans; reap_stale_scans(1)")
    scan = pg_app.scan_of("killed")
    assert scan["state"] == "failed" and "stopped reporting" in scan["message"], scan
