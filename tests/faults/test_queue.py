"""Redis stopped, frozen and started again: reads go on, starting a scan says why it cannot, work resumes."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from posture.celery import app as celery_app
from posture.scans.models import Scan
from posture.scans.pipeline import create_scan, run_scan
from tests.faults.app import ROOT
from tests.faults.faults import final_scan
from tests.scans.test_worker import database_url

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
# Starting a scan on a dead broker answers within the publish attempts (2) x POSTURE_QUEUE_TIMEOUT_SECONDS (2),
# plus the retry interval and slack for a loaded machine.
BOUND = 8.0


def forget_broker_connections() -> None:
    """Forget the app's cached pools: they keep the broker they were made for (eager mode makes one too).

    Not closed: kombu's own registry of producer pools (per broker URL) may hand them out again.
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(redis_up, settings):
    """This process's Celery app on the private Redis (database 1: the private worker listens on 0)."""
    url = redis_up.url.rsplit("/", 1)[0] + "/1"
    previous = {"broker_url": celery_app.conf.broker_url, "task_always_eager": celery_app.conf.task_always_eager}
    forget_broker_connections()
    celery_app.conf.update(broker_url=url, task_always_eager=False)
    settings.CELERY_BROKER_URL = url
    yield redis_up
    forget_broker_connections()
    celery_app.conf.update(**previous)


def signed_in(role: str) -> Client:
    user = User.objects.create_user(f"faults-{role}", password="a-long-test-password")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    client = Client()
    client.force_login(user)
    return client


def unavailable(redis) -> str:
    return f"the task queue is unavailable (redis://127.0.0.1:{redis.port}): the scan was not started"


def timed(fn):
    started = time.monotonic()
    result = fn()
    return result, time.monotonic() - started


def test_reads_keep_serving_while_redis_is_down(account, broker) -> None:
    run_scan(create_scan(account).pk)  # something to read (eager would not be used: this runs in-process)
    broker.stop()
    analyst = signed_in("analyst")
    for path in ("/", "/findings/", "/scans/", "/api/v1/findings/", "/api/v1/scans/"):
        response = analyst.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert analyst.get("/api/v1/findings/").json()["results"], "the findings are listed"


def test_starting_a_scan_with_redis_down_fails_fast_and_clearly_everywhere(account, broker, settings) -> None:
    broker.stop()
    analyst = signed_in("analyst")
    message = unavailable(broker)

    response, took = timed(lambda: analyst.post("/api/v1/scans/", {"account": account.name}, "application/json"))
    assert (response.status_code, response.json()) == (503, {"detail": message})
    assert took < BOUND

    response, took = timed(lambda: analyst.post("/scans/start/", {"account": account.pk}, follow=True))
    assert response.status_code == 200 and f"Not started: {message}." in response.content.decode()
    assert took < BOUND

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker.url,
        "POSTURE_PLUGINS": "tests.support.testcloud",
        "POSTURE_DATA_DIR": str(settings.DATA_DIR),
    }
    started = time.monotonic()
    cli = subprocess.run(
        [sys.executable, "manage.py", "scan", account.name, "--async"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 1, cli.stderr
    assert message in cli.stderr and "Traceback" not in cli.stderr
    assert time.monotonic() - started < BOUND + 10  # the command's own start-up included

    scans = list(Scan.objects.filter(account=account).values_list("state", "message"))
    assert scans == [("failed", message)] * 3, "no scan is left queued: each one says why it never ran"


def test_a_frozen_redis_cannot_hold_a_request(account, broker) -> None:
    broker.freeze()  # accepts connections, never answers
    analyst = signed_in("analyst")
    response, took = timed(lambda: analyst.post("/api/v1/scans/", {"account": account.name}, "application/json"))
    assert response.status_code == 503 and response.json()["detail"] == unavailable(broker)
    assert took < BOUND
    broker.thaw()


def test_once_redis_is_back_a_scan_is_queued_again(account, broker) -> None:
    import redis

    broker.stop()
    analyst = signed_in("analyst")
    assert analyst.post("/api/v1/scans/", {"account": account.name}, "application/json").status_code == 503
    broker.start()
    queue = redis.Redis.from_url(broker.url.rsplit("/", 1)[0] + "/1")
    queue.delete("celery")
    response = analyst.post("/api/v1/scans/", {"account": account.name}, "application/json")
    assert response.status_code == 202 and response.json()["state"] == "queued"
    assert queue.llen("celery") == 1, "the task is on the queue"
    queue.delete("celery")


def test_work_resumes_through_the_worker_that_lived_through_the_outage(pg_app, private_redis) -> None:
    private_redis.stop()
    refused = pg_app.manage("scan", "after-outage", "--async", check=False)
    assert refused.returncode == 1 and unavailable(private_redis) in refused.stderr
    failed = pg_app.scan_of("after-outage")
    assert failed["state"] == "failed" and failed["message"] == unavailable(private_redis)
    private_redis.start()
    pg_app.manage("scan", "after-outage", "--async")
    scan = final_scan(pg_app, "after-outage", after=failed["id"])
    assert scan["state"] == "succeeded", scan
    assert pg_app.stored("after-outage") == {"resources": 601, "findings": 601, "events": 201, "duplicated": 0}


def test_scheduled_scans_with_redis_down_fail_with_the_reason_and_are_due_again(account, broker) -> None:
    import redis

    from posture.scans.tasks import dispatch_due_scans

    account.scan_schedule = "daily"
    account.save(update_fields=["scan_schedule"])
    broker.stop()
    assert dispatch_due_scans() == []
    assert list(Scan.objects.filter(account=account).values_list("trigger", "state", "message")) == [
        ("schedule", "failed", unavailable(broker))
    ]
    broker.start()
    (scan,) = dispatch_due_scans()  # the refused one never ran: the account is still due
    assert (scan.trigger, scan.state) == ("schedule", "queued")
    redis.Redis.from_url(celery_app.conf.broker_url).delete("celery")  # nobody consumes database 1
