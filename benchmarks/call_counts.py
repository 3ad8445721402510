"""How many API calls a scan of the small estates makes, per service and operation, and per resource found.

    .venv/bin/python benchmarks/call_counts.py                 # every provider
    .venv/bin/python benchmarks/call_counts.py aws gcp         # some of them
    .venv/bin/python benchmarks/call_counts.py --json          # the figures as JSON (to compare two runs)
    .venv/bin/python benchmarks/call_counts.py azure gcp --bulk off auto   # without and with bulk inventory

``--bulk`` sets ``POSTURE_BULK_INVENTORY`` for each scan in turn (default: ``auto``, as a scan runs): ``off``
lists every Azure and Google Cloud resource type through its own service, ``auto`` through Azure Resource
Graph and Cloud Asset Inventory first. With more than one mode, a last table puts them side by side.

AWS calls are counted by a botocore ``before-call`` hook on every client the scan makes (one per
operation call and per page; retries not counted); the Azure, Google Cloud and Kubernetes calls are read
from the emulators' own request logs, with names and ids in paths replaced by ``*``. A call repeated
with the same path within one scan is a second read of the same thing: those are listed too.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.estates import PROVIDERS, STARTERS
from benchmarks.scanning import scan

# path segments after which a Google Cloud path names one thing (replaced by *)
GCP_COLLECTIONS = {
    "projects", "b", "o", "locations", "keyRings", "cryptoKeys", "serviceAccounts", "keys", "zones", "regions",
    "clusters", "folders", "organizations", "nodePools", "sinks", "metrics", "alertPolicies", "networks",
    "firewalls", "instances", "subnetworks", "services", "notificationChannels", "buckets",
}  # fmt: skip


class AwsCallCounter:
    """Counts (service, operation) of every call made by the clients of every AwsSession while installed."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.paths: Counter[str] = Counter()  # operation and parameters: the same read twice shows here
        self.seconds: Counter[str] = Counter()  # wall time from before-call to after-call, summed over threads
        self._lock = threading.Lock()
        self._original: Any = None

    def _started(self, context: Any = None, **_: Any) -> None:
        if isinstance(context, dict):
            context["_posture_started"] = time.perf_counter()

    def _ended(self, model: Any, context: Any = None, **_: Any) -> None:
        started = context.get("_posture_started") if isinstance(context, dict) else None
        if started is not None:
            with self._lock:
                self.seconds[f"{model.service_model.service_name} {model.name}"] += time.perf_counter() - started

    def _count(self, model: Any, params: Any = None, context: Any = None, **_: Any) -> None:
        name = f"{model.service_model.service_name} {model.name}"
        body = params.get("body") if isinstance(params, dict) else None
        where = params.get("url_path", "") if isinstance(params, dict) else ""
        if isinstance(params, dict) and params.get("url"):  # S3 puts the bucket in the URL, not in url_path
            parts = urlsplit(params["url"])
            where = parts.path + (f"?{parts.query}" if parts.query else "")
        region = context.get("client_region", "") if isinstance(context, dict) else ""  # not in an emulator's URL
        key = f"{name} {region} {where} {json.dumps(body, sort_keys=True, default=str)}" if params else name
        with self._lock:
            self.calls[name] += 1
            self.paths[key] += 1

    def __enter__(self) -> AwsCallCounter:
        from collectors.aws.provider import AwsSession

        self._original = original = AwsSession.client
        counter = self

        def counting_client(session: AwsSession, service: str, region: str = "us-east-1") -> Any:
            client = original(session, service, region)
            with counter._lock:  # two threads may ask for the same new client at once: register the hooks once
                counter._hook(client)
            return client

        AwsSession.client = counting_client  # type: ignore[method-assign]
        return self

    def _hook(self, client: Any) -> None:
        """The counting hooks on ``client``, once (a lock-free check raced: two threads, the hooks twice)."""
        if getattr(client, "_posture_counted", False):
            return
        client.meta.events.register("before-call", self._count)
        client.meta.events.register("before-call", self._started)
        client.meta.events.register("after-call", self._ended)
        client.meta.events.register("after-call-error", self._ended)
        client._posture_counted = True

    def __exit__(self, *exc: object) -> None:
        from collectors.aws.provider import AwsSession

        AwsSession.client = self._original  # type: ignore[method-assign]


def arm_operation(method: str, path: str) -> str:
    """``GET Microsoft.Storage/storageAccounts/blobServices (item)`` for an ARM request path."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if "providers" in lowered:
        at = len(lowered) - 1 - lowered[::-1].index("providers")
        namespace, rest = parts[at + 1] if at + 1 < len(parts) else "", parts[at + 2 :]
    else:
        namespace, rest = "", parts
    kinds = rest[0::2]
    shape = "item" if len(rest) % 2 == 0 and rest else "list"
    return f"{method} {'/'.join(p for p in [namespace, *kinds] if p)} ({shape})"


def gcp_operation(api: str, path: str) -> str:
    parts = [p for p in urlsplit(path).path.split("/") if p]
    out = []
    for i, part in enumerate(parts):
        if i and parts[i - 1] in GCP_COLLECTIONS:
            verb = part.split(":", 1)[1] if ":" in part else ""
            out.append("*" + (f":{verb}" if verb else ""))
        else:
            out.append(part)
    return f"{api} /{'/'.join(out)}"


def k8s_operation(path: str) -> str:
    parts = [p for p in urlsplit(path).path.split("/") if p]
    out = ["*" if i and parts[i - 1] == "namespaces" else p for i, p in enumerate(parts)]
    return "GET /" + "/".join(out)


def count(provider: str, bulk: str = "auto") -> dict[str, Any]:
    os.environ["POSTURE_BULK_INVENTORY"] = bulk
    estate = STARTERS[provider]()
    try:
        if provider == "aws":
            with AwsCallCounter() as counter:
                result = scan(estate.target)
            calls, repeated = counter.calls, counter.paths
        else:
            result = scan(estate.target)
            log = estate.requests()
            if provider == "azure":
                calls = Counter(arm_operation(method, path) for method, path in log)
            elif provider == "gcp":
                calls = Counter(gcp_operation(api, path) for api, path in log)
            else:
                calls = Counter(k8s_operation(path) for _, path in log)
            # the Google Cloud emulator logs paths without their query: the same path may be another project's
            repeated = Counter(f"{a} {p}" for a, p in log) if provider != "gcp" else Counter()
    finally:
        estate.stop()
    total = sum(calls.values())
    resources = len(result.records)
    return {
        "provider": provider,
        "bulk": bulk,
        "calls": total,
        "resources": resources,
        "calls_per_resource": round(total / resources, 2) if resources else None,
        "failed_units": sorted(f"{e.service}/{e.region}: {e.kind}" for e in result.errors),
        "by_operation": dict(sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))),
        "same_call_repeated": {k: n for k, n in sorted(repeated.items(), key=lambda kv: -kv[1]) if n > 1},
        "seconds": round(result.seconds, 2),
    }


def show(figures: dict[str, Any]) -> None:
    where = f"{figures['provider']} (bulk inventory {figures['bulk']})"
    print(f"== {where}: {figures['calls']} calls, {figures['resources']} resources, ", end="")
    print(f"{figures['calls_per_resource']} calls per resource, {figures['seconds']} s")
    for name, n in figures["by_operation"].items():
        print(f"  {n:5d}  {name}")
    if figures["same_call_repeated"]:
        print("  the same call more than once in the scan:")
        for name, n in list(figures["same_call_repeated"].items())[:15]:
            print(f"  {n:5d}x {name[:150]}")
    if figures["failed_units"]:
        print(f"  failed units: {', '.join(figures['failed_units'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("providers", nargs="*", help=f"some of {', '.join(PROVIDERS)} (default: all)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--bulk", nargs="+", choices=("auto", "off"), default=["auto"], help="POSTURE_BULK_INVENTORY for the scans"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.providers) - set(PROVIDERS))
    if unknown:
        parser.error(f"unknown providers: {', '.join(unknown)}")
    results = [count(p, mode) for p in args.providers or PROVIDERS for mode in args.bulk]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for figures in results:
        show(figures)
    for mode in args.bulk:
        chosen = [f for f in results if f["bulk"] == mode]
        total = sum(f["calls"] for f in chosen)
        print(f"\ntotal (bulk inventory {mode}): {total} calls for {sum(f['resources'] for f in chosen)} resources")
    if len(args.bulk) > 1:
        compare(results, args.bulk)


def compare(results: list[dict[str, Any]], modes: list[str]) -> None:
    """Side by side; a provider's first scan also loads its SDK, so its seconds are not the calls' alone."""
    print(f"\n{'provider':<11} {'bulk':>5} {'calls':>6} {'resources':>9} {'seconds':>8} {'failed units':>12}")
    for figures in sorted(results, key=lambda f: (f["provider"], modes.index(f["bulk"]))):
        print(
            f"{figures['provider']:<11} {figures['bulk']:>5} {figures['calls']:>6} {figures['resources']:>9}"
            f" {figures['seconds']:>8.2f} {len(figures['failed_units']):>12}"
        )


if __name__ == "__main__":
    main()
