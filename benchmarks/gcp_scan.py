"""Collect and evaluate many emulated Google Cloud projects; print how long each stage takes.

    .venv/bin/python benchmarks/gcp_scan.py --copies 20 --page-size 50
    .venv/bin/python benchmarks/gcp_scan.py --copies 20 --bulk off       # without Cloud Asset Inventory
    .venv/bin/python benchmarks/gcp_scan.py --copies 20 --delay 0.05     # every call 50 ms away

The demo estate's two projects (one kept, one neglected) are copied
``--copies`` times under one folder (20 copies = 40 projects, 40 clusters,
240 firewall rules ...), served by the Google Cloud emulator on 127.0.0.1,
discovered through Resource Manager, collected through the real client
libraries (REST transport) and evaluated by every Google Cloud rule.
No Django models, no database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")


def estate(copies: int) -> dict:
    from emulators.gcp import demo_estate

    base = demo_estate()
    projects = []
    for n in range(copies):
        for project in base["projects"]:
            old = project["projectId"]
            text = json.dumps(project).replace(old, f"{old}-{n:03d}")
            copy = json.loads(text)
            copy["projectNumber"] = str(int(project["projectNumber"]) + n)
            projects.append(copy)
    return {**base, "projects": projects}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=10, help="copies of the two demo projects")
    parser.add_argument("--page-size", type=int, default=50, help="items per list page the emulator serves")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every call by a proxy (0.05)")
    parser.add_argument(
        "--bulk", choices=("auto", "off"), default="auto", help="POSTURE_BULK_INVENTORY: bulk inventory or not"
    )
    args = parser.parse_args()
    os.environ["POSTURE_BULK_INVENTORY"] = args.bulk

    import django

    django.setup()
    from benchmarks.latency_proxy import LatencyProxy
    from collectors.gcp import PROVIDER
    from collectors.records import Target
    from collectors.run import collect, plan
    from emulators.gcp import GcpEmulator
    from posture.rules.evaluate import evaluate

    with (
        GcpEmulator(estate(args.copies), page_size=args.page_size) as emulator,
        LatencyProxy(emulator.url, args.delay) as proxy,
    ):
        target = Target(
            "gcp", "bench", endpoint_url=proxy.url, credentials={"access_token": "bench", "folder": "folders/1001"}
        )
        started = time.perf_counter()
        session = PROVIDER.connect(target)
        projects = session.projects
        discovered = time.perf_counter()
        result = collect(PROVIDER, session, plan(PROVIDER, session, target), concurrency=args.concurrency)
        collected = time.perf_counter()
        statuses = Counter(r.status for r in evaluate(result.records))
        evaluated = time.perf_counter()
    print(f"projects          {len(projects)} (discovered in {discovered - started:.2f}s)")
    print(
        f"records           {len(result.records)} in {collected - discovered:.2f}s "
        f"({len(emulator.calls)} API calls, {len(result.errors)} errors)"
    )
    print(
        f"results           {sum(statuses.values())} in {evaluated - collected:.2f}s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))
    )


if __name__ == "__main__":
    main()
