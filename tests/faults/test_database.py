"""PostgreSQL restarted while a real worker stores a scan: rolled back and retried, never half a batch."""

from __future__ import annotations

import pytest

from tests.faults.faults import FindingsLock, final_scan

pytestmark = pytest.mark.services
STORED = {"resources": 601, "findings": 601, "events": 201, "duplicated": 0}  # the estate: 600 buckets and a user


def test_postgres_restarted_mid_persistence_rolls_back_and_the_retry_stores_it_once(pg_app, private_postgres) -> None:
    FindingsLock(private_postgres, pg_app).wait_until_quiet()
    with FindingsLock(private_postgres, pg_app) as lock:
        pg_app.manage("scan", "restart-once", "--async")
        blocked = lock.wait_for_a_writer()
        assert blocked["wrote"], "the scan's transaction had written resources when the database went down"
        private_postgres.restart()
    scan = final_scan(pg_app, "restart-once")
    assert scan["state"] == "succeeded", scan
    assert pg_app.stored("restart-once") == STORED
    counts = {k: scan["counts"][k] for k in ("resources", "resources_new", "findings", "findings_new", "transitions")}
    assert counts == {  # what a clean first scan reports: the attempt that was cut off left nothing behind
        "resources": 601,
        "resources_new": 601,
        "findings": {"FAIL": 201, "PASS": 400},
        "findings_new": 601,
        "transitions": {"opened": 201},
    }


def test_postgres_restarted_at_every_attempt_fails_the_scan_and_stores_nothing(pg_app, private_postgres) -> None:
    lock = FindingsLock(private_postgres, pg_app)
    lock.wait_until_quiet()
    restarts = 0
    while True:  # restart whenever the scan is caught writing, until the worker gives up
        with lock:
            if not restarts:
                pg_app.manage("scan", "restart-always", "--async")
            blocked = lock.wait_for_a_writer("restart-always")
            if blocked is None:
                break
            assert blocked["wrote"]
            private_postgres.restart()
            restarts += 1
    # 3 attempts (POSTURE_SCAN_STORE_ATTEMPTS); one may have failed on the server still restarting
    assert 1 <= restarts <= 3, pg_app.scan_of("restart-always")
    scan = final_scan(pg_app, "restart-always")
    assert scan["state"] == "failed", scan
    assert scan["message"].startswith("storing the results failed (3 attempts): OperationalError"), scan["message"]
    assert pg_app.stored("restart-always") == {"resources": 0, "findings": 0, "events": 0, "duplicated": 0}
    pg_app.manage("scan", "restart-always", "--async")  # the account is free again, and the next scan stores it all
    assert final_scan(pg_app, "restart-always", after=scan["id"])["state"] == "succeeded"
    assert pg_app.stored("restart-always") == STORED
