"""Posture as separate processes (manage.py commands, a Celery worker) on a given database and broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORKER_ARGS = ["--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"]


def estate_file(path: Path, buckets: int = 600, **extra: Any) -> Path:
    """An estate for the test provider (tests/support/testcloud.py): ``buckets`` buckets over two regions,
    every third public, and one user without MFA; ``extra`` adds keys such as ``hang``.

    600 buckets make more than one persistence batch (posture.scans.persist.BATCH).
    """
    resources = [
        {
            "service": "storage",
            "region": f"r{n % 2 + 1}",
            "type": "testcloud.storage.bucket",
            "uid": f"bucket-{n:05d}",
            "config": {"public": n % 3 == 0},
        }
        for n in range(buckets)
    ]
    resources.append({"service": "iam", "type": "testcloud.iam.user", "uid": "u-alice", "config": {"mfa": False}})
    path.write_text(json.dumps({"id": "faults-0001", "regions": ["r1", "r2"], "resources": resources, **extra}))
    path.chmod(0o644)
    return path


class App:
    """``manage.py`` and ``celery worker`` with their own environment: database, broker, data directory."""

    def __init__(self, database_url: str, broker_url: str, data_dir: Path, **env: str) -> None:
        self.database_url = database_url
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "POSTURE_DATA_DIR": str(data_dir),
            "POSTURE_PLUGINS": "tests.support.testcloud",
            "POSTURE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
            "POSTURE_LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.workers: list[subprocess.Popen] = []

    def manage(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        command = [sys.executable, "manage.py", *args]
        result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def add_account(self, name: str, estate: Path) -> None:
        self.manage("accounts", "add", "testcloud", "--name", name, "--estate", str(estate))

    def start_worker(self, **env: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "posture", "worker", *WORKER_ARGS],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.workers.append(process)
        return process

    def stop_workers(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGQUIT)  # cold shutdown
                try:
                    process.wait(timeout=2)  # or longer, waiting for a collector thread left hanging: killed
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.workers.clear()

    def query(self, sql: str, *params: Any) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def scan_of(self, account: str) -> dict[str, Any] | None:
        rows = self.query(
            "SELECT s.id, s.state, s.message, s.counts FROM scans_scan s JOIN inventory_cloudaccount a"
            " ON a.id = s.account_id WHERE a.name = %s ORDER BY s.id DESC LIMIT 1",
            account,
        )
        if not rows:
            return None
        scan_id, state, message, counts = rows[0]
        return {"id": scan_id, "state": state, "message": message, "counts": counts}

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            for process in self.workers:
                if process.poll() is not None:
                    raise AssertionError(f"a worker died while waiting for {what}:\n{process.stdout.read()}")
            time.sleep(0.1)
        raise AssertionError(f"no {what} within {timeout} s")

    def stored(self, account: str) -> dict[str, int]:
        """What the account has in the database, and whether anything is there twice."""
        (row,) = self.query(
            """
            SELECT (SELECT count(*) FROM inventory_resource r WHERE r.account_id = a.id),
                   (SELECT count(DISTINCT uid) FROM inventory_resource r WHERE r.account_id = a.id),
                   (SELECT count(*) FROM findings_finding f WHERE f.account_id = a.id),
                   (SELECT count(DISTINCT (rule_id, resource_uid)) FROM findings_finding f WHERE f.account_id = a.id),
                   (SELECT count(*) FROM findings_findingevent e JOIN findings_finding f ON f.id = e.finding_id
                     WHERE f.account_id = a.id)
            FROM inventory_cloudaccount a WHERE a.name = %s
            """,
            account,
        )
        resources, distinct_resources, findings, distinct_findings, events = row
        return {
            "resources": resources,
            "findings": findings,
            "events": events,
            "duplicated": (resources - distinct_resources) + (findings - distinct_findings),
        }
