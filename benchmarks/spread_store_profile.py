"""Where a spread scan's finishing step spends its time: the units collected here, then ``spread.finish`` profiled.

    .venv/bin/python benchmarks/spread_store_profile.py --resources 20000
    .venv/bin/python benchmarks/spread_store_profile.py --resources 20000 --top 40 --sort tottime

The account is ``synthetic_cloud.py``'s (no delay per call); its 96 units run one after the other in this process
(``spread.collect_unit``, staging their records as the workers would), then the finishing step runs under
cProfile. Printed: seconds collecting (all units, one process) and finishing, and the costliest functions of the
finishing step, grouped into rule evaluation, JSON decoding, the database, diff and drift, and the rest. Runs
on PostgreSQL (``--database``, created and migrated if missing); talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GROUPS = {  # a function's file (part of its path) -> where its own time counts
    "rules": ("posture/rules/",),
    "json": ("json/",),
    "database": ("psycopg", "django/db/"),
    "diff and drift": ("posture/scans/diff.py", "posture/scans/drift.py", "container_drift.py"),
}


def grouped(stats: pstats.Stats) -> dict[str, float]:
    """Own (not cumulative) time per group: every function's own time counts once, where it is defined."""
    totals = dict.fromkeys([*GROUPS, "rest"], 0.0)
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        group = next((g for g, parts in GROUPS.items() if any(p in filename for p in parts)), "rest")
        totals[group] += own
    return totals


STAGES = {  # a step of the finishing: (file part, function name) whose cumulative time it is
    "reading back (query, decode)": ("posture/scans/staged.py", "batches"),
    "context types loaded": ("posture/scans/staged.py", "resources"),
    "rules (per batch)": ("posture/rules/evaluate.py", "evaluate"),
    "rules not prepared (per batch)": ("posture/scans/prepared.py", "results"),
    "resources upserted": ("posture/scans/persist.py", "persist_resources"),
    "findings upserted": ("posture/scans/persist.py", "persist_findings"),
    "image scans stored": ("posture/scans/image_scans.py", "store_image_scans"),
    "closing (gone, drift, snapshots)": ("posture/scans/pipeline.py", "close_scan"),
}


def stages(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative time of each step (steps nest: reading back includes context loads made by rules)."""
    found = dict.fromkeys(STAGES, 0.0)
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for stage, (part, name) in STAGES.items():
            if part in filename and function == name:
                found[stage] += cumulative
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=20000)
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/posture_bench_spread")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    env = {
        "DATABASE_URL": args.database,
        "POSTURE_PLUGINS": "benchmarks.synthetic_cloud,benchmarks.no_path_refresh",
        "POSTURE_DATA_DIR": tempfile.mkdtemp(prefix="posture-bench-store-"),
        "POSTURE_LOG_LEVEL": "warning",
        "SYNTHETIC_DELAY": "0",
    }
    os.environ.update(env)
    from benchmarks.distributed_scan import ensure_database

    ensure_database(args.database)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0", "--noinput"], cwd=ROOT, env=os.environ, check=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    import django

    django.setup()
    from posture.inventory.accounts import AccountInput, create_account
    from posture.scans import spread
    from posture.scans.pipeline import create_scan

    account = create_account(
        AccountInput(
            provider="synthetic",
            name=f"profile-{args.resources}-{uuid.uuid4().hex[:8]}",
            regions=[],
            credentials={"resources": str(args.resources)},
        ),
        source="cli",
    )
    scan = create_scan(account)
    units: list[int] = []
    spread.start(scan.pk, lambda _, unit: units.append(unit), lambda _: None)
    began = time.perf_counter()
    for unit in units:
        spread.collect_unit(unit, lambda _: None)
    collecting = time.perf_counter() - began
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    finished = spread.finish(scan.pk)
    profile.disable()
    finishing = time.perf_counter() - began
    findings = sum((finished.counts.get("findings") or {}).values())
    print(f"{finished.state}: {finished.counts.get('resources')} resources, {findings} findings, {len(units)} units")
    print(f"collecting {collecting:.1f} s (one process), finishing {finishing:.1f} s (profiled)")
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    for group, seconds in grouped(stats).items():
        print(f"  {group:>32}: {seconds:6.1f} s own time")
    for stage, seconds in stages(stats).items():
        print(f"  {stage:>32}: {seconds:6.1f} s cumulative")
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
