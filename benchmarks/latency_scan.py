"""Scan the small estates as if the clouds were far away: every call through a proxy that adds a delay.

    .venv/bin/python benchmarks/latency_scan.py                           # every provider, +50 ms, concurrency 8
    .venv/bin/python benchmarks/latency_scan.py aws --delay 0.1 --concurrency 1 8 16
    .venv/bin/python benchmarks/latency_scan.py --delay 0                 # the emulators as they are
    .venv/bin/python benchmarks/latency_scan.py azure gcp --bulk off auto # without and with bulk inventory

Each provider's emulator (moto, or the project's Azure, Google Cloud and Kubernetes emulators) serves the
estate of ``benchmarks/estates.py`` from its own process (its work does not hold this interpreter); a
:class:`~benchmarks.latency_proxy.LatencyProxy` on 127.0.0.1 stands in front of it and the account's
endpoint (the kubeconfig's server for Kubernetes) points at the proxy.

Printed per provider and concurrency: the collection's wall time, the calls the proxy forwarded (every
HTTP request, SDK retries included: moto does not emulate Access Analyzer, and boto3 retries that call
before the unit fails), the resources found, failed units, the time the calls alone would take one after
another (calls x delay: what concurrency saves), the Python heap's peak during the scan (tracemalloc, in
a second scan of its own: tracing slows a scan) and the process's peak RSS. A first, untimed scan of
each estate loads what the SDKs import on first use, as a worker's first scan does. Collection only:
no rules, no database.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import collectors
from benchmarks.estates import PROVIDERS, RemoteEstate, in_own_process
from benchmarks.latency_proxy import DEFAULT_DELAY, LatencyProxy
from benchmarks.scanning import scan
from collectors import REGISTRY


def scan_through_proxy(estate: RemoteEstate, delay: float, concurrency: int, trace: bool = False) -> dict[str, Any]:
    with LatencyProxy(estate.url, delay) as proxy:
        target = estate.through(proxy.url)
        if trace:
            tracemalloc.start()
        result = scan(target, concurrency=concurrency)
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
    return {"result": result, "calls": proxy.calls, "heap_mib": peak / 2**20}


def measure(
    provider: str, delay: float, concurrencies: list[int], heap: bool, bulk: tuple[str, ...] = ("auto",)
) -> Iterator[dict[str, Any]]:
    """Per bulk inventory mode and concurrency: a scan's wall time, calls and resources; then, traced apart,
    the heap's peak."""
    collectors.load_providers()
    REGISTRY.collectors(provider)  # the SDK imported before any clock starts
    with in_own_process(provider) as estate:
        scan_through_proxy(estate, 0, max(concurrencies))  # warm: the SDKs' own lazy imports and model files
        for mode, concurrency in [(m, c) for m in bulk for c in concurrencies]:
            os.environ["POSTURE_BULK_INVENTORY"] = mode
            timed = scan_through_proxy(estate, delay, concurrency)
            traced = scan_through_proxy(estate, delay, concurrency, trace=True) if heap else {"heap_mib": 0.0}
            result = timed["result"]
            yield {
                "provider": provider,
                "bulk": mode,
                "concurrency": concurrency,
                "seconds": result.seconds,
                "calls": timed["calls"],
                "resources": len(result.records),
                "failed": len(result.errors),
                "serial": timed["calls"] * delay,
                "heap_mib": traced["heap_mib"],
                "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("providers", nargs="*", help=f"some of {', '.join(PROVIDERS)} (default: all)")
    parser.add_argument("--delay", type=float, default=DEFAULT_DELAY, help="seconds added to every call (0.05)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8], help="collector threads (8)")
    parser.add_argument("--no-heap", action="store_true", help="skip the traced scan that measures the heap's peak")
    parser.add_argument(
        "--bulk", nargs="+", choices=("auto", "off"), default=["auto"], help="POSTURE_BULK_INVENTORY for the scans"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.providers) - set(PROVIDERS))
    if unknown:
        parser.error(f"unknown providers: {', '.join(unknown)}")
    print(f"+{args.delay * 1000:.0f} ms a call")
    header = f"{'provider':<11} {'bulk':>4} {'threads':>7} {'wall s':>7} {'calls':>6} {'resources':>9} {'failed':>6}"
    print(f"{header} {'calls x delay s':>15} {'heap peak MiB':>13} {'RSS MiB':>8}")
    for provider in args.providers or PROVIDERS:
        for m in measure(provider, args.delay, args.concurrency, not args.no_heap, tuple(args.bulk)):
            print(
                f"{m['provider']:<11} {m['bulk']:>4} {m['concurrency']:>7} {m['seconds']:>7.2f} {m['calls']:>6}"
                f" {m['resources']:>9}"
                f" {m['failed']:>6} {m['serial']:>15.2f} {m['heap_mib']:>13.1f} {m['rss_mib']:>8.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
