"""Fixtures of the fault-injection suite: private servers, and Posture on them as separate processes."""

from __future__ import annotations

import shutil

import pytest

from tests.faults.app import App, estate_file
from tests.faults.servers import private_postgres, private_redis, redis_up, scratch_dir  # noqa: F401  (fixtures)

# Accounts of the PostgreSQL-backed app, one per scenario, each on its own estate file.
ACCOUNTS = {
    "restart-once": {},
    "restart-always": {},
    "twice": {},
    "hanging": {"hang": [{"service": "iam", "seconds": 8}]},
    "after-outage": {},
    "redelivered": {},
    "killed": {},
}
# The worker tries storing a scan 3 times and gives a hanging (service, region) 3 seconds.
WORKER_ENV = {"POSTURE_SCAN_STORE_ATTEMPTS": "3", "POSTURE_SCAN_UNIT_TIMEOUT_SECONDS": "3"}
CREATE_ACCOUNTS = """
from posture.inventory.accounts import AccountInput, create_account
for name, path in {estates!r}.items():
    data = AccountInput(provider="testcloud", name=name, regions=[], credentials={{"estate": path}})
    create_account(data, source="cli")
"""


@pytest.fixture(scope="session")
def pg_app(private_postgres, private_redis):  # noqa: F811
    """Posture on the private PostgreSQL and Redis: migrated, with :data:`ACCOUNTS`, and one Celery worker."""
    data = scratch_dir("posture-faults-data-")
    app = App(private_postgres.create_database("posture_faults"), private_redis.url, data)
    app.manage("migrate", "--noinput")
    app.start_worker(**WORKER_ENV)  # starts meanwhile
    estates = {name: str(estate_file(data / f"{name}.json", **extra)) for name, extra in ACCOUNTS.items()}
    app.manage("shell", "-c", CREATE_ACCOUNTS.format(estates=estates))
    yield app
    app.stop_workers()
    shutil.rmtree(data, ignore_errors=True)
