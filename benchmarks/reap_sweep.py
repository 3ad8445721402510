"""The lost-unit sweep (``spread.reap_lost_units``, every 2 minutes under beat) against a long unit history.

    .venv/bin/python benchmarks/reap_sweep.py [--history 2000] [--units 96] [--running 20] [--sweeps 20]

On a fresh PostgreSQL database (``--database``, dropped and created again, then migrated): ``--history`` finished
spread scans of ``--units`` units each (the units table a retention period leaves), and ``--running`` scans
collecting, each a third reported, a third running (heard from just now) and a third queued. Printed:

- a sweep that finds nothing to do: milliseconds per sweep (best and median of ``--sweeps``, wall and CPU of
  this process) and the queries it makes;
- a backed-up queue: the running scans' start and the queued units' wait made two hours old, the running units
  heard from just now (workers busy with them), stale time one hour; the scans and units one sweep reaps;
- then a stopped queue: the running units too last heard from two hours ago; what the next sweep reaps.

Run it before and after a change to ``posture/scans/spread.py`` (the schema is this checkout's; an older sweep
ignores columns it does not know). Talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def fresh_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def fill(args: argparse.Namespace) -> list[int]:
    """The history and the running scans; returns the running scans' ids."""
    from django.utils import timezone

    from posture.inventory.models import CloudAccount
    from posture.scans.models import Scan, ScanUnit

    has_heartbeat = any(f.name == "heartbeat_at" for f in ScanUnit._meta.fields)
    now = timezone.now()
    history = CloudAccount.objects.create(name="bench-history", provider="bench")
    keys = [(f"svc-{n % 12}", f"region-{n // 12}") for n in range(args.units)]
    for start in range(0, args.history, 200):
        scans = Scan.objects.bulk_create(
            Scan(
                account=history,
                state="succeeded",
                started_at=now - timedelta(hours=n + 4),
                finished_at=now - timedelta(hours=n + 3),
                heartbeat_at=now - timedelta(hours=n + 3),
                progress_done=args.units,
                progress_total=args.units,
            )
            for n in range(start, min(start + 200, args.history))
        )
        units = []
        for scan in scans:
            for service, region in keys:
                unit = ScanUnit(scan=scan, service=service, region=region, state="done", attempt=1)
                unit.started_at = unit.finished_at = scan.finished_at
                if has_heartbeat:
                    unit.heartbeat_at = scan.finished_at
                units.append(unit)
        ScanUnit.objects.bulk_create(units, batch_size=5000)
    running = []
    for n in range(args.running):
        account = CloudAccount.objects.create(name=f"bench-running-{n}", provider="bench")
        scan = Scan.objects.create(account=account, state="running", started_at=now, heartbeat_at=now)
        units = []
        for i, (service, region) in enumerate(keys):
            state = ("done", "running", "queued")[i % 3]
            unit = ScanUnit(scan=scan, service=service, region=region, state=state, attempt=int(state != "queued"))
            if state != "queued":
                unit.started_at = now
                if has_heartbeat:
                    unit.heartbeat_at = now
            units.append(unit)
        ScanUnit.objects.bulk_create(units)
        running.append(scan.pk)
    return running


def idle_sweeps(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from posture.scans.spread import reap_lost_units

    walls, cpus = [], []
    for _ in range(args.sweeps):
        wall, cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            assert reap_lost_units(stale_after=3600) == []
        walls.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    print(
        f"sweep finding nothing: best {min(walls):.1f} ms, median {statistics.median(walls):.1f} ms wall "
        f"(median {statistics.median(cpus):.1f} ms CPU here), {len(queries)} queries"
    )


def backed_up(running: list[int]) -> None:
    from django.utils import timezone

    from posture.scans.models import Scan, ScanUnit

    long_ago = timezone.now() - timedelta(hours=2)
    Scan.objects.filter(pk__in=running).update(started_at=long_ago, heartbeat_at=long_ago)
    sweep("backed-up queue", running)
    fields = ["started_at", "heartbeat_at"] if any(f.name == "heartbeat_at" for f in ScanUnit._meta.fields) else []
    ScanUnit.objects.filter(scan_id__in=running, started_at__isnull=False).update(**dict.fromkeys(fields, long_ago))
    sweep("then the queue stopped (no unit heard from for two hours)", running)


def sweep(label: str, running: list[int]) -> None:
    from posture.scans.models import Scan, ScanUnit
    from posture.scans.spread import reap_lost_units

    reaped = reap_lost_units(stale_after=3600)
    lost = ScanUnit.objects.filter(scan_id__in=running, error__kind="lost").count()
    states = sorted(set(Scan.objects.filter(pk__in=reaped).values_list("state", flat=True)))
    print(f"{label}: {len(reaped)} of {len(running)} scans reaped {', '.join(states)}, {lost} units lost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/posture_bench_reap")
    parser.add_argument("--history", type=int, default=2000, help="finished spread scans")
    parser.add_argument("--units", type=int, default=96, help="units per scan")
    parser.add_argument("--running", type=int, default=20, help="scans collecting")
    parser.add_argument("--sweeps", type=int, default=20)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    os.environ["POSTURE_LOG_LEVEL"] = "error"
    fresh_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    running = fill(args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    units = (args.history + args.running) * args.units
    took = time.perf_counter() - t0
    print(f"{args.history:,} finished and {args.running} running scans, {units:,} units (filled in {took:.0f} s)")
    idle_sweeps(args)
    backed_up(running)


if __name__ == "__main__":
    main()
