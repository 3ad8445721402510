"""One large account's scan spread over 1, 2 and 4 Celery worker processes: wall time and peak memory per worker.

    .venv/bin/python benchmarks/distributed_scan.py --resources 20000 --workers 1 2 4
    .venv/bin/python benchmarks/distributed_scan.py --resources 100000 --workers 2 4 --in-process

The account is ``benchmarks/synthetic_cloud.py``'s: the AWS rule cases' resources copied to ``--resources``
records over 12 services x 8 regions (96 units), each collector waiting ``--delay`` s per call (a list call per
100 records, a detail read per 5). It runs on PostgreSQL (``--database``, created and migrated if missing) and
Redis (``--broker``), with N worker processes (``celery worker --pool threads -c --concurrency``, on a queue of
their own), each run on a new account (a first scan: every resource and finding is new). ``--in-process`` adds a
run with ``POSTURE_SCAN_SPREAD=false`` (one worker runs the whole scan in its threads, as before spreading).

Printed per run: the scan's duration (started -> finished), its state and counts, each worker's peak RSS
(``VmHWM``) and CPU seconds, and where the time went (collecting: until the last unit reported; storing: the
finishing step). The exposure-path rebuild a finished scan asks for (``posture/paths/builds.py``: a task of its
own, reading every stored resource of every account) is left out unless ``--with-paths`` (``no_path_refresh.py``);
with it, the run waits for the rebuild too and prints how long it took and the paths it found, and the peak
memory per worker includes it. Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def environment(args: argparse.Namespace, data_dir: str) -> dict[str, str]:
    return {
        "DATABASE_URL": args.database,
        "CELERY_BROKER_URL": args.broker,
        "POSTURE_PLUGINS": "benchmarks.synthetic_cloud" + ("" if args.with_paths else ",benchmarks.no_path_refresh"),
        "POSTURE_DATA_DIR": data_dir,
        "POSTURE_LOG_LEVEL": "warning",
        "POSTURE_SCAN_CONCURRENCY": str(args.concurrency),
        "SYNTHETIC_DELAY": str(args.delay),
    }


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def start_workers(count: int, queue: str, env: dict[str, str], concurrency: int) -> list[subprocess.Popen]:
    command = [sys.executable, "-m", "celery", "-A", "posture", "worker", "--pool=threads", f"-c{concurrency}"]
    command += ["-Q", queue, "-n", f"bench{{n}}-{queue}@%h", "--without-gossip", "--without-mingle", "-l", "WARNING"]
    return [
        subprocess.Popen(
            [part.replace("{n}", str(n)) for part in command],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(count)
    ]


def wait_ready(app: Any, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0) or []) >= count:
            return
    raise SystemExit(f"{count} workers did not answer within {timeout:.0f} s")


def peak(pid: int) -> tuple[float, float]:
    """(peak RSS in MiB, CPU seconds) of a running process."""
    status = Path(f"/proc/{pid}/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return hwm / 1024, cpu


def wait_for_paths(timeout: float) -> tuple[float, int]:
    """Wait until a path build covers every ask; (its seconds, the paths it found)."""
    from posture.paths.models import ExposurePath, PathBuild

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build = PathBuild.objects.filter(pk=1).first()
        if build is not None and not build.pending and not build.queued and build.seconds is not None:
            return build.seconds, ExposurePath.objects.filter(closed_at__isnull=True).count()
        time.sleep(1)
    raise SystemExit(f"the exposure paths were not rebuilt within {timeout} s")


def run(args: argparse.Namespace, env: dict[str, str], workers: int, spread: bool) -> dict[str, Any]:
    from posture.celery import app
    from posture.inventory.accounts import AccountInput, create_account
    from posture.scans.models import FINAL_STATES, Scan, ScanUnit
    from posture.scans.pipeline import create_scan
    from posture.scans.tasks import run_scan_task

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    processes = start_workers(workers, queue, {**env, "POSTURE_SCAN_SPREAD": str(spread).lower()}, args.concurrency)
    try:
        wait_ready(app, workers)
        name = f"synthetic-{args.resources}-{workers}w-{'spread' if spread else 'one'}-{queue}"
        account = create_account(
            AccountInput(provider="synthetic", name=name, regions=[], credentials={"resources": str(args.resources)}),
            source="cli",
        )
        scan = create_scan(account)
        sent = time.monotonic()
        run_scan_task.apply_async((scan.pk,), queue=queue)
        while scan.state not in FINAL_STATES:
            time.sleep(1)
            scan.refresh_from_db()
            if any(p.poll() is not None for p in processes):
                raise SystemExit("a worker died")
            if time.monotonic() - sent > args.timeout:
                raise SystemExit(
                    f"no result within {args.timeout} s: {scan.state} {scan.progress_done}/{scan.progress_total}"
                )
        wall = time.monotonic() - sent
        rebuild = wait_for_paths(args.timeout) if args.with_paths else None
        memory = [peak(p.pid) for p in processes]
        last_unit = (
            ScanUnit.objects.filter(scan=scan).order_by("-finished_at").values_list("finished_at", flat=True).first()
        )
        collecting = (last_unit - scan.started_at).total_seconds() if last_unit else None
        scan = Scan.objects.get(pk=scan.pk)
        return {
            "workers": workers,
            "spread": spread,
            "state": scan.state,
            "seconds": scan.duration_seconds,
            "wall": wall,
            "collecting": collecting,
            "resources": scan.counts.get("resources"),
            "findings": sum((scan.counts.get("findings") or {}).values()),
            "units": scan.counts.get("units"),
            "memory": memory,
            "rebuild": rebuild,
        }
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=20000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=8, help="threads per worker process")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds per call")
    parser.add_argument("--in-process", action="store_true", help="also one worker with POSTURE_SCAN_SPREAD=false")
    parser.add_argument(
        "--with-paths", action="store_true", help="keep the exposure-path rebuild after the scan (all accounts)"
    )
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/posture_bench_spread")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="posture-bench-spread-")
    env = environment(args, data_dir)
    os.environ.update(env)
    ensure_database(args.database)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--noinput"], cwd=ROOT, env=os.environ, check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    import django

    django.setup()
    runs = [(n, True) for n in args.workers] + ([(1, False)] if args.in_process else [])
    paths = "with" if args.with_paths else "without"
    print(
        f"{args.resources} resources, {args.delay * 1000:.0f} ms per call, {args.concurrency} threads per worker, "
        f"{paths} the exposure-path rebuild"
    )
    print(
        f"{'workers':>8} {'mode':>10} {'state':>10} {'scan s':>8} {'collect s':>9} {'store s':>8} "
        f"{'resources':>9} {'findings':>9}  peak MiB / CPU s per worker"
    )
    for workers, spread in runs:
        r = run(args, env, workers, spread)
        collect = r["collecting"] if r["collecting"] is not None else float("nan")
        per_worker = ", ".join(f"{mib:.0f} / {cpu:.0f}" for mib, cpu in r["memory"])
        print(
            f"{workers:>8} {'spread' if spread else 'one worker':>10} {r['state']:>10} {r['seconds']:>8.1f} "
            f"{collect:>9.1f} {r['seconds'] - collect:>8.1f} {r['resources']:>9} {r['findings']:>9}  {per_worker}",
            flush=True,
        )
        if r["rebuild"] is not None:
            seconds, found = r["rebuild"]
            print(f"{'':>8} then the exposure-path rebuild (its own task): {seconds:.1f} s, {found} paths")


if __name__ == "__main__":
    main()
