"""Collect and evaluate a large emulated Azure subscription; print how long each stage takes.

    .venv/bin/python benchmarks/azure_scan.py --copies 20 --page-size 50
    .venv/bin/python benchmarks/azure_scan.py --copies 20 --bulk off     # without Resource Graph
    .venv/bin/python benchmarks/azure_scan.py --copies 20 --delay 0.05   # every call 50 ms away

The demo subscription is copied ``--copies`` times into resource groups of
one subscription (so 20 copies = 40 clusters, 40 storage accounts, 60 NSGs
...), served by the ARM emulator on 127.0.0.1, collected through the real
management SDKs and evaluated by every Azure rule. No Django, no database.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")


def estate(copies: int, page_size: int) -> dict:
    from emulators.azure.demo import demo_estate

    base = demo_estate(page_size)
    resources = []
    for n in range(copies):
        text = json.dumps(base["resources"])
        text = text.replace("/resourceGroups/platform/", f"/resourceGroups/platform{n}/")
        text = text.replace("/resourceGroups/legacy/", f"/resourceGroups/legacy{n}/")
        text = text.replace("/resourceGroups/NetworkWatcherRG/", f"/resourceGroups/NetworkWatcherRG{n}/")
        copy = json.loads(text)
        if n:  # subscription-wide singletons (pricings, contacts, subscription diagnostic settings) once
            copy = [r for r in copy if "/resourceGroups/" in r["id"]]
        resources.extend(copy)
    return {**base, "resources": resources}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every call by a proxy (0.05)")
    parser.add_argument(
        "--bulk", choices=("auto", "off"), default="auto", help="POSTURE_BULK_INVENTORY: bulk inventory or not"
    )
    args = parser.parse_args()
    os.environ["POSTURE_BULK_INVENTORY"] = args.bulk

    import django

    django.setup()  # only to load the rule packs
    from benchmarks.latency_proxy import LatencyProxy
    from collectors.azure import PROVIDER
    from collectors.records import Target
    from collectors.run import collect, plan
    from emulators.azure import ArmEmulator
    from emulators.azure.demo import SUB
    from posture.rules.evaluate import evaluate

    token = "benchmark-token-0123456789"
    with (
        ArmEmulator(estate(args.copies, args.page_size), token=token) as emulator,
        LatencyProxy(emulator.url, args.delay) as proxy,
    ):
        target = Target(
            "azure", "bench", endpoint_url=proxy.url, credentials={"access_token": token, "subscription_id": SUB}
        )
        started = time.perf_counter()
        session = PROVIDER.connect(target)
        result = collect(PROVIDER, session, plan(PROVIDER, session, target), concurrency=args.concurrency)
        collected = time.perf_counter()
        results = list(evaluate(result.records))
        evaluated = time.perf_counter()
        calls = len(emulator.requests)
    print(f"resources        {len(result.records)}")
    print(f"ARM calls        {calls}")
    print(f"errors           {len(result.errors)}")
    print(f"collect          {collected - started:.2f}s ({calls / (collected - started):.0f} calls/s)")
    print(f"evaluate         {evaluated - collected:.3f}s for {len(results)} results")


if __name__ == "__main__":
    main()
