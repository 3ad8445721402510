"""Inject faults into real processes and print what the scans made of them.

    .venv/bin/python benchmarks/faults.py              # every scenario once
    .venv/bin/python benchmarks/faults.py --rounds 3   # each scenario three times

Starts its own PostgreSQL and Redis (free ports on 127.0.0.1, temporary directories: the
servers on 5432/6379 are never touched), migrates a database, and runs Posture as separate
processes: a Celery worker and ``manage.py`` commands. Each scenario scans a fresh account of
601 resources (more than one persistence batch) while something breaks: PostgreSQL restarted
while a scan stores its results (once, or at every attempt), Redis stopped or frozen when a
scan is started, the worker killed with SIGKILL while collecting or while storing, two scans
of one account started at once, a service that never answers. After each one the account is
scanned again if the fault failed the scan, and the database is checked: findings lost
(expected minus stored) and duplicated (rows beyond one per rule and resource) should be 0.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults.app import App, estate_file  # noqa: E402
from tests.faults.faults import FindingsLock, final_scan  # noqa: E402
from tests.faults.servers import PrivatePostgres, PrivateRedis, scratch_dir  # noqa: E402

BUCKETS = 600
EXPECTED_FINDINGS = BUCKETS + 1
STORE_ATTEMPTS = 3
UNIT_TIMEOUT = 3


@dataclass
class Outcome:
    scenario: str
    faults: int
    state: str  # what the faulted scan ended as
    answered: float  # seconds from the fault to that final state (or to the refusal)
    recovered: bool  # the account holds a complete scan afterwards
    lost: int
    duplicated: int
    note: str = ""


def refusal(result: subprocess.CompletedProcess) -> str:
    said = "'the task queue is unavailable'" if "the task queue is unavailable" in result.stderr else "no reason given"
    return f"exit {result.returncode}, {said}; includes the command's start-up"


class Bench:
    def __init__(self) -> None:
        self.pg, self.redis = PrivatePostgres(), PrivateRedis()
        self.pg.start()
        self.redis.start()
        self.data = scratch_dir("posture-faults-bench-")
        self.app = App(self.pg.create_database("posture_faults_bench"), self.redis.url, self.data)
        self.app.manage("migrate", "--noinput")
        self.worker = self.start_worker()
        self.accounts = 0

    def start_worker(self) -> subprocess.Popen:
        return self.app.start_worker(
            POSTURE_SCAN_STORE_ATTEMPTS=str(STORE_ATTEMPTS), POSTURE_SCAN_UNIT_TIMEOUT_SECONDS=str(UNIT_TIMEOUT)
        )

    def account(self, **extra) -> str:
        self.accounts += 1
        name = f"acct-{self.accounts}"
        self.app.add_account(name, estate_file(self.data / f"{name}.json", buckets=BUCKETS, **extra))
        return name

    def check(self, name: str, scenario: str, faults: int, state: str, answered: float, note: str = "") -> Outcome:
        """Scan again if the fault failed the scan, then count what is lost or twice."""
        if state not in ("succeeded", "partial"):
            previous = self.app.scan_of(name)["id"]
            self.app.manage("scan", name, "--async")
            final_scan(self.app, name, after=previous)
        stored = self.app.stored(name)
        expected = EXPECTED_FINDINGS - (1 if state == "partial" else 0)
        recovered = self.app.scan_of(name)["state"] in ("succeeded", "partial")
        return Outcome(
            scenario, faults, state, answered, recovered, expected - stored["findings"], stored["duplicated"], note
        )

    def close(self) -> None:
        self.app.stop_workers()
        self.pg.close()
        self.redis.close()
        shutil.rmtree(self.data, ignore_errors=True)

    # The scenarios: each injects its faults and returns what came of them.

    def postgres_restart_once(self) -> Outcome:
        name = self.account()
        with FindingsLock(self.pg, self.app) as lock:
            self.app.manage("scan", name, "--async")
            lock.wait_for_a_writer()
            started = time.monotonic()
            self.pg.restart()
        scan = final_scan(self.app, name)
        return self.check(name, "PostgreSQL restarted mid-persistence", 1, scan["state"], time.monotonic() - started)

    def postgres_restart_every_attempt(self) -> Outcome:
        name = self.account()
        lock, faults, started = FindingsLock(self.pg, self.app), 0, time.monotonic()
        while True:
            with lock:
                if not faults:
                    self.app.manage("scan", name, "--async")
                if lock.wait_for_a_writer(name) is None:
                    break
                started = started if faults else time.monotonic()
                self.pg.restart()
                faults += 1
        scan = final_scan(self.app, name)
        note = scan["message"][:57]
        return self.check(
            name, "PostgreSQL restarted at every attempt", faults, scan["state"], time.monotonic() - started, note
        )

    def redis_stopped(self) -> Outcome:
        name = self.account()
        self.redis.stop()
        started = time.monotonic()
        refused = self.app.manage("scan", name, "--async", check=False)
        answered = time.monotonic() - started
        self.redis.start()
        state = self.app.scan_of(name)["state"]
        return self.check(name, "Redis stopped when a scan starts (CLI)", 1, state, answered, refusal(refused))

    def redis_frozen(self) -> Outcome:
        name = self.account()
        self.redis.freeze()
        started = time.monotonic()
        refused = self.app.manage("scan", name, "--async", check=False)
        answered = time.monotonic() - started
        self.redis.thaw()
        state = self.app.scan_of(name)["state"]
        return self.check(name, "Redis frozen (SIGSTOP) when a scan starts", 1, state, answered, refusal(refused))

    def worker_killed(self, while_storing: bool) -> Outcome:
        name = self.account(**({} if while_storing else {"hang": [{"service": "iam", "seconds": 2}]}))
        lock = FindingsLock(self.pg, self.app)
        if while_storing:
            lock.__enter__()
        self.app.manage("scan", name, "--async")
        if while_storing:
            lock.wait_for_a_writer()
        else:
            self.app.wait_for("a running scan", lambda: (self.app.scan_of(name) or {}).get("state") == "running")
        started = time.monotonic()
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait()
        self.app.workers.remove(self.worker)
        if while_storing:
            lock.__exit__()
        # The reaper (a beat task every 2 minutes, POSTURE_SCAN_STALE_SECONDS) marks it failed; here with 1 s.
        time.sleep(1.5)
        self.app.manage("shell", "-c", "from posture.scans.pipeline import reap_stale_scans; reap_stale_scans(1)")
        scan = final_scan(self.app, name)
        answered = time.monotonic() - started
        half = self.app.stored(name)["resources"]
        self.worker = self.start_worker()
        where = "storing" if while_storing else "collecting"
        note = f"reaped (stale after 1 s here); {half} resources left by the dead worker"
        return self.check(name, f"worker SIGKILLed while {where}", 1, scan["state"], answered, note)

    def two_at_once(self) -> Outcome:
        name = self.account()
        with FindingsLock(self.pg, self.app):
            command = [sys.executable, "manage.py", "scan", name, "--async"]
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            both = [subprocess.Popen(command, cwd=ROOT, env=self.app.env, **quiet) for _ in "ab"]
            codes = sorted(p.wait(timeout=120) for p in both)
            started = time.monotonic()
        scan = final_scan(self.app, name)
        note = f"the two commands exited {codes}"
        return self.check(name, "two scans of one account at once", 1, scan["state"], time.monotonic() - started, note)

    def hanging_service(self) -> Outcome:
        name = self.account(hang=[{"service": "iam", "seconds": UNIT_TIMEOUT + 5}])
        self.app.manage("scan", name, "--async")
        scan = final_scan(self.app, name)
        ((took,),) = self.app.query(
            "SELECT extract(epoch FROM finished_at - started_at) FROM scans_scan WHERE id = %s", scan["id"]
        )
        note = f"scan time; unit timeout {UNIT_TIMEOUT} s; findings of the rest kept"
        return self.check(name, "a service that never answers", 1, scan["state"], float(took), note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="run every scenario this many times")
    args = parser.parse_args()
    bench = Bench()
    scenarios: list[Callable[[], Outcome]] = [
        bench.postgres_restart_once,
        bench.postgres_restart_every_attempt,
        bench.redis_stopped,
        bench.redis_frozen,
        lambda: bench.worker_killed(while_storing=False),
        lambda: bench.worker_killed(while_storing=True),
        bench.two_at_once,
        bench.hanging_service,
    ]
    outcomes: list[Outcome] = []
    try:
        for _ in range(args.rounds):
            for scenario in scenarios:
                outcomes.append(scenario())
                print(outcomes[-1], file=sys.stderr, flush=True)
    finally:
        bench.close()
    print(
        f"{'scenario':42} {'faults':>6} {'scan ended':>10} {'answer s':>8} {'recovered':>9} {'lost':>4} {'dup':>4}"
        "  note"
    )
    for o in outcomes:
        print(
            f"{o.scenario:42} {o.faults:6} {o.state:>10} {o.answered:8.1f} {o.recovered!s:>9}"
            f" {o.lost:4} {o.duplicated:4}  {o.note}"
        )
    print("(answer s: from the fault to the scan's final state or the command's refusal)")
    survived = sum(o.state in ("succeeded", "partial") for o in outcomes)
    failed = sum(o.state == "failed" for o in outcomes)
    print(
        f"\nfaults injected {sum(o.faults for o in outcomes)} in {len(outcomes)} scenarios; scans that survived "
        f"{survived}, marked failed with a reason {failed}, recovered by the next scan "
        f"{sum(o.recovered for o in outcomes)}/{len(outcomes)}; findings lost {sum(o.lost for o in outcomes)}, "
        f"duplicated {sum(o.duplicated for o in outcomes)}"
    )


if __name__ == "__main__":
    main()
