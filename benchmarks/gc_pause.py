"""How long Python's full garbage collection takes in a warmed serving process, before and after gc.freeze().

    .venv/bin/python benchmarks/gc_pause.py

A full collection runs every so many allocations and stops the request that triggers it; in a warmed
process it walks every long-lived object. posture/wsgi.py freezes them after warming up.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def full_collection_ms(rounds: int = 10) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        gc.collect(2)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    os.environ.setdefault("POSTURE_LOG_LEVEL", "warning")
    import django

    django.setup()
    from django.test import Client

    from posture.warmup import warm_up

    warm_up()
    client = Client(HTTP_HOST="127.0.0.1")
    for path in ("/login/", "/api/v1/schema/"):  # some requests' worth of lazily built state
        client.get(path)
    tracked = len(gc.get_objects())
    before = full_collection_ms()
    gc.freeze()
    after = full_collection_ms()
    print(f"warmed process: {tracked:,} tracked objects")
    print(f"full collection, not frozen: {before:7.1f} ms (median of 10)")
    print(f"full collection, frozen:     {after:7.1f} ms ({gc.get_freeze_count():,} objects frozen)")


if __name__ == "__main__":
    main()
