"""How long ``manage.py`` takes to start for commands that scan nothing, and which imports cost the most.

    .venv/bin/python benchmarks/startup.py                    # help, check, accounts list; 5 runs each
    .venv/bin/python benchmarks/startup.py --runs 3 --top 15

Each command runs in a fresh interpreter against a migrated SQLite database in a temporary folder.
Printed per command: the best wall time and the best CPU time (user + system) of the runs (on a
busy machine wall time waits for a core, CPU time does not), and which provider SDKs it imported
(none is the goal). Then ``python -X importtime`` of ``accounts list``: its costliest top-level
imports (cumulative, best of one run).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (("help",), ("check",), ("accounts", "list"))
SDKS = ("boto3", "botocore", "azure", "google", "googleapiclient", "kubernetes")
# runs the command, then prints which SDK packages it left in sys.modules
PROBE = (
    "import runpy, sys\n"
    "sys.argv = ['manage.py', *sys.argv[1:]]\n"
    "runpy.run_path('manage.py', run_name='__main__')\n"
    f"print('SDKS=' + ','.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({SDKS!r}))), file=sys.stderr)\n"
)
IMPORT_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)")


def run_once(args: tuple[str, ...], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system) and the SDKs loaded, for one run of ``manage.py args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    sdks = done.stderr.rsplit("SDKS=", 1)[-1].strip()
    return wall, cpu, sdks or "none"


def top_imports(args: tuple[str, ...], env: dict[str, str], top: int) -> list[tuple[float, str]]:
    """The costliest top-level imports of one ``-X importtime`` run, in seconds (cumulative)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = []
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and len(match.group(2)) == 0:
            found.append((int(match.group(1)) / 1e6, match.group(3)))
    return sorted(found, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
        env |= {"POSTURE_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "posture.settings"}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
        print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"{'command':<16} {'wall s (best)':>13} {'CPU s (best)':>12}  SDKs imported")
        for args in COMMANDS:
            runs = [run_once(args, env) for _ in range(options.runs)]
            wall = min(r[0] for r in runs)
            cpu = min(r[1] for r in runs)
            print(f"{' '.join(args):<16} {wall:>13.2f} {cpu:>12.2f}  {runs[-1][2]}")
        print("\ncostliest top-level imports of `accounts list` (cumulative seconds, one run):")
        for seconds, name in top_imports(("accounts", "list"), env, options.top):
            print(f"  {seconds:6.3f}  {name}")


if __name__ == "__main__":
    main()
