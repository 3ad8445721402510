"""Scan a large emulated Kubernetes cluster: collection (real client, paged) and rule evaluation.

    .venv/bin/python benchmarks/k8s_scan.py [--namespaces 200] [--pods 20000] [--page-size 500]

The emulator runs in a child process (its memory is not counted); this process
connects with a kubeconfig, collects every service, evaluates every rule, and
prints wall time per phase, peak memory (max RSS of this process) and
findings per second. Goal from the issue: under 60 s and under 400 MB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import collectors.kubernetes  # noqa: E402,F401  (registers the provider)
from collectors import REGISTRY  # noqa: E402
from collectors.records import Target  # noqa: E402
from collectors.run import collect, plan  # noqa: E402


def start_emulator(namespaces: int, pods: int, kubeconfig: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "emulators.kubernetes", "--namespaces", str(namespaces), "--pods", str(pods)]
    process = subprocess.Popen([*command, "--kubeconfig", str(kubeconfig)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    url = process.stdout.readline().strip() if process.stdout else ""
    if not url.startswith("http://127.0.0.1:"):
        process.kill()
        raise SystemExit(f"the emulator did not start (said {url!r})")
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--namespaces", type=int, default=200)
    parser.add_argument("--pods", type=int, default=20000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)

    import importlib
    import pkgutil

    from posture.rules.evaluate import evaluate
    from posture.rules.packs import kubernetes as pack

    for info in pkgutil.walk_packages(pack.__path__, prefix=pack.__name__ + "."):
        importlib.import_module(info.name)  # the Kubernetes rules (no Django needed)
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        started = time.perf_counter()
        emulator = start_emulator(args.namespaces, args.pods, kubeconfig)
        print(
            f"emulator: {args.namespaces} namespaces, {args.pods} pods, ready in {time.perf_counter() - started:.1f}s"
        )
        try:
            provider = REGISTRY.provider("kubernetes")
            target = Target("kubernetes", "bench", credentials={"kubeconfig": str(kubeconfig)})
            t0 = time.perf_counter()
            session = provider.connect(target)
            session.page_size = args.page_size
            collection = collect(provider, session, plan(provider, session, target), concurrency=args.concurrency)
            t1 = time.perf_counter()
            statuses: Counter = Counter()
            for result in evaluate(collection.records):
                statuses[str(result.status)] += 1
            t2 = time.perf_counter()
        finally:
            emulator.terminate()
            emulator.wait(timeout=10)
    findings = sum(statuses.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    types = Counter(r.type.rsplit(".", 1)[-1] for r in collection.records)
    print(f"records: {len(collection.records)} ({', '.join(f'{n} {t}' for t, n in types.most_common())})")
    print(f"errors: {len(collection.errors)} {[e.as_dict() for e in collection.errors][:3]}")
    print(f"collect: {t1 - t0:.2f}s   evaluate: {t2 - t1:.2f}s   wall (collect + evaluate): {t2 - t0:.2f}s")
    print(
        f"findings: {findings} ({dict(statuses)}), {findings / max(t2 - t0, 1e-9):.0f} findings/s overall, "
        f"{findings / max(t2 - t1, 1e-9):.0f} findings/s evaluating"
    )
    print(f"peak memory (max RSS of this process): {peak_mb:.0f} MB")
    return 0 if not collection.errors else 1


if __name__ == "__main__":
    sys.exit(main())
