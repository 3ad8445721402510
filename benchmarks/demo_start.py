"""How long the demo's clouds take to start: each emulator up with its estate built, as every ``make run`` pays.

    .venv/bin/python benchmarks/demo_start.py              # 3 runs
    .venv/bin/python benchmarks/demo_start.py --runs 5

Each run is a fresh interpreter (a new ``make run`` imports everything again) that starts every demo cloud
(``posture.demo.clouds``) in turn and stops it. Printed per cloud: the best and the median wall seconds of
its start, and the total of the best run. No database is touched: the clouds only build their estates.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, os, time
import django
django.setup()
from posture.demo.clouds import CLOUDS
times = {}
for cls in CLOUDS:
    t0 = time.perf_counter()
    cloud = cls()
    cloud.start()
    times[cls.__name__] = time.perf_counter() - t0
    cloud.stop()
print("TIMES=" + json.dumps(times))
"""


def run_once(env: dict[str, str]) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("TIMES="))
    return json.loads(line.removeprefix("TIMES="))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "posture.settings", "POSTURE_DATA_DIR": data}
        env["PYTHONPATH"] = str(ROOT)
        runs = [run_once(env) for _ in range(args.runs)]
    print(f"demo clouds' start, {args.runs} runs (fresh interpreters)")
    for name in runs[0]:
        seconds = [run[name] for run in runs]
        print(f"  {name:15s} best {min(seconds):6.2f} s   median {statistics.median(seconds):6.2f} s")
    print(f"  {'all':15s} best {min(sum(run.values()) for run in runs):6.2f} s")


if __name__ == "__main__":
    main()
