"""Posture and Prowler scanning the same AWS estate on a local moto server, whole processes timed in turn.

    .venv/bin/python benchmarks/versus_prowler.py                       # the small estate, one run each
    .venv/bin/python benchmarks/versus_prowler.py --size large --runs 2
    .venv/bin/python benchmarks/versus_prowler.py --size large --scale 0.25   # a quarter of the large estate

The moto server runs in its own process on 127.0.0.1 (a free port). ``--size small`` is the demo's AWS
account (``emulators.aws.estate.build_estate``, built in us-east-1) scanned over 2 regions; ``--size large``
is issue #24's 3,298 resources (500 buckets, 2,000 security groups, 500 users, 50 EKS clusters, 200 ECR
repositories over 2 regions, built by ``benchmarks/aws_scan.py``), ``--scale`` shrinks it.

Timed, each a whole process against the same estate: Posture's ``manage.py scan ACCOUNT`` (on a migrated
SQLite database in a temporary POSTURE_DATA_DIR, prepared before timing; ``manage.py accounts add`` is
timed apart) and ``prowler aws --compliance cis_7.0_aws`` (Prowler is not a dependency of the project:
``--prowler PATH``, else ``prowler`` on PATH, else /work/prowler-venv/bin/prowler; skipped with a message
when missing). Both get fake credentials, AWS_ENDPOINT_URL pointing at moto and a dead HTTPS proxy for
anything else, so neither reaches a real cloud. Printed per tool: the best run's wall seconds, CPU seconds
(user + system of the process and its waited-for children; load on a shared machine disturbs it less than
wall time), peak RSS of the largest process, and findings counted from its own output; then the ratios.

moto answers calls to services it does not emulate (Access Analyzer for Posture, several for Prowler) with HTTP
500, and both tools back off and retry before giving up: ``--retries 1`` gives both one attempt per call, taking
that wait out of both wall times (by default each uses its own retry setting: Posture tries a server error 3 times,
Prowler 4).

moto answers as fast as its one process can, so on the large estate a tool that calls in parallel waits on moto's
CPU, not on the calls' round trips as it would against AWS. ``--latency 50`` puts ``latency_proxy.py`` between both
tools and moto, holding every call 50 ms, as a far region does (calls still wait in parallel), and prints each
run's calls as the proxy counted them (Posture's with its ``accounts add``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.aws_scan import build as build_large  # noqa: E402
from benchmarks.aws_scan import start_server  # noqa: E402
from benchmarks.estates import in_own_process  # noqa: E402
from benchmarks.latency_proxy import LatencyProxy  # noqa: E402

REGIONS = ["us-east-1", "eu-west-1"]
KEYS = {"AWS_ACCESS_KEY_ID": "demo-access-key", "AWS_SECRET_ACCESS_KEY": "demo-secret-key"}
LARGE = {"buckets": 500, "security_groups": 2000, "users": 500, "clusters": 50, "repositories": 200}
PROWLER_VENV = Path("/work/prowler-venv/bin/prowler")
COMPLIANCE = "cis_7.0_aws"
ACCOUNT = "bench-aws"
FINDINGS_LINE = re.compile(r"^  resources .*; findings (.*)$", re.M)  # manage.py scan's summary


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    findings: int
    detail: str
    calls: int | None = None  # as the latency proxy counted them (with --latency)


# Started by a small interpreter of its own: on Linux a child's ru_maxrss starts from the RSS of the process
# that forked it (exec keeps the old memory's high-water mark), so this process, grown by building the
# estate, would raise every figure. The launcher runs the command and reports what it used.
LAUNCHER = """
import json, os, resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "kib": usage.ru_maxrss}, out)
"""


def timed(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[int, float, float, float]:
    """Run ``command`` to its end: exit code, wall s, CPU s (user + system) and peak RSS MB of its process tree.

    The CPU time is that of the command and every child it waited for; the peak is the largest single
    process among them (ru_maxrss, KiB on Linux).
    """
    report = log.with_suffix(".usage.json")
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(report), *command], env=env, cwd=cwd, stdout=out, stderr=out
        )
    usage = json.loads(report.read_text())
    return usage["code"], usage["wall"], usage["cpu"], usage["kib"] / 1024


def base_env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POSTURE_")) and k != "DATABASE_URL"}
    return {
        **env,
        **KEYS,
        "AWS_DEFAULT_REGION": REGIONS[0],
        "AWS_ENDPOINT_URL": url,  # botocore sends every service here
        "AWS_EC2_METADATA_DISABLED": "true",
        "POSTURE_ALLOWED_NETWORKS": "127.0.0.1/32",  # moto's address, for Posture's --endpoint-url
        "HTTPS_PROXY": "http://127.0.0.1:9",  # anything but moto fails at once instead of reaching out
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """File descriptor 2 on /dev/null while a child process starts (moto's server logs every request there)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextmanager
def serve_estate(size: str, scale: float, aws_config: bool = False) -> Iterator[tuple[str, str]]:
    """The estate on moto in a process of its own: its URL and what it holds."""
    started = time.perf_counter()
    if size == "small":  # the demo's estate needs moto in the process that builds it (benchmarks/estates.py)
        with ExitStack() as stack:
            with quiet_stderr():  # the child keeps the /dev/null it started with
                estate = stack.enter_context(in_own_process("aws"))
            yield estate.url, f"the demo's AWS account (built in us-east-1), {time.perf_counter() - started:.1f}s"
        return
    os.environ.update({**KEYS, "AWS_DEFAULT_REGION": REGIONS[0]})
    server, url = start_server()
    try:
        counts = {k: max(1, round(v * scale)) for k, v in LARGE.items()}
        build_large(url, argparse.Namespace(**counts, aws_config=aws_config), REGIONS)
        what = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
        what += ", AWS Config recording" if aws_config else ""
        yield url, f"{what}, {time.perf_counter() - started:.1f}s to build"
    finally:
        server.terminate()
        server.wait(timeout=10)


class Posture:
    name = "Posture"

    def __init__(self, url: str, work: Path, retries: int | None) -> None:
        self.url = url
        self.work = work
        self.template = work / "template"
        self.template.mkdir()
        self.python = sys.executable
        self.env = base_env(url) | ({} if retries is None else {"POSTURE_AWS_MAX_ATTEMPTS": str(retries)})
        code, *_ = timed(
            [self.python, "manage.py", "migrate", "--noinput"], self._env(self.template), ROOT, work / "migrate.log"
        )
        if code:
            raise SystemExit(f"manage.py migrate failed:\n{(work / 'migrate.log').read_text()[-2000:]}")
        self.add_runs: list[tuple[float, float, float]] = []

    def _env(self, data_dir: Path) -> dict[str, str]:
        return {**self.env, "POSTURE_DATA_DIR": str(data_dir)}

    def run(self, n: int) -> Run:
        data_dir = self.work / f"posture-{n}"
        shutil.copytree(self.template, data_dir)
        env = self._env(data_dir)
        add = [
            self.python,
            "manage.py",
            "accounts",
            "add",
            "aws",
            "--name",
            ACCOUNT,
            "--regions",
            ",".join(REGIONS),
            "--endpoint-url",
            self.url,
            "--access-key-id",
            KEYS["AWS_ACCESS_KEY_ID"],
            "--secret-access-key",
            KEYS["AWS_SECRET_ACCESS_KEY"],
        ]
        log = data_dir / "add.log"
        code, wall, cpu, peak = timed(add, env, ROOT, log)
        if code:
            raise SystemExit(f"accounts add failed ({code}):\n{log.read_text()[-2000:]}")
        self.add_runs.append((wall, cpu, peak))
        log = data_dir / "scan.log"
        code, wall, cpu, peak = timed([self.python, "manage.py", "scan", ACCOUNT], env, ROOT, log)
        text = log.read_text(errors="replace")
        if code:
            raise SystemExit(f"manage.py scan failed ({code}):\n{text[-3000:]}")
        found = FINDINGS_LINE.search(text)
        counts = dict(re.findall(r"(\w+) (\d+)", found.group(1))) if found else {}
        state = re.search(r"^scan \d+ of \S+: (\w+)", text, re.M)
        resources = re.search(r"^  resources (\d+)", text, re.M)
        detail = ", ".join(f"{k} {v}" for k, v in counts.items()) + (
            f" ({resources.group(1) if resources else '?'} resources, scan {state.group(1) if state else '?'})"
        )
        return Run(wall, cpu, peak, sum(int(v) for v in counts.values()), detail)


class Prowler:
    name = "Prowler"

    def __init__(self, url: str, work: Path, binary: str, retries: int | None) -> None:
        self.binary = binary
        # Prowler's option counts the retries after the first attempt (botocore's ``max_attempts``)
        self.retries = [] if retries is None else ["--aws-retries-max-attempts", str(retries - 1)]
        self.work = work
        self.env = base_env(url)
        self.version = subprocess.run(
            [binary, "--version"], env=self.env, capture_output=True, text=True, timeout=300
        ).stdout.strip()

    def run(self, n: int) -> Run:
        out = self.work / f"prowler-{n}"
        command = [
            self.binary,
            "aws",
            "--compliance",
            COMPLIANCE,
            "-f",
            *REGIONS,
            "-M",
            "json-ocsf",
            "-o",
            str(out),
            "-F",
            "bench",
            "-b",  # no banner
            *self.retries,
        ]
        out.mkdir()
        log = out / "prowler.log"
        code, wall, cpu, peak = timed(command, self.env, out, log)
        ocsf = next(out.glob("*.ocsf.json"), out / "bench.ocsf.json")
        if code not in (0, 3) or not ocsf.exists():  # 3: the scan ran and some checks failed
            raise SystemExit(f"prowler failed ({code}), no {ocsf.name}:\n{log.read_text(errors='replace')[-3000:]}")
        findings = json.loads(ocsf.read_text() or "[]")
        statuses: dict[str, int] = {}
        for finding in findings:
            status = str(finding.get("status_code", "?"))
            statuses[status] = statuses.get(status, 0) + 1
        checks = len({f.get("metadata", {}).get("event_code") for f in findings})
        detail = ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())) + f" ({checks} checks)"
        return Run(wall, cpu, peak, len(findings), detail)


def find_prowler(given: str | None) -> str | None:
    if given:
        return given if Path(given).exists() or shutil.which(given) else None
    on_path = shutil.which("prowler")
    if on_path:
        return on_path
    return str(PROWLER_VENV) if PROWLER_VENV.exists() else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "large"], default="small")
    parser.add_argument("--scale", type=float, default=1.0, help="with --size large: a share of its resources")
    parser.add_argument("--runs", type=int, default=1, help="runs of each tool; the best is printed")
    parser.add_argument("--prowler", help="the prowler executable (default: on PATH, else /work/prowler-venv)")
    parser.add_argument(
        "--retries",
        type=int,
        help="attempts per AWS call for both tools, the first included (Posture's POSTURE_AWS_MAX_ATTEMPTS, "
        "Prowler's --aws-retries-max-attempts one less; default: each its own); moto answers calls to services it "
        "does not emulate with HTTP 500, and both tools back off and retry them",
    )
    parser.add_argument(
        "--aws-config",
        action="store_true",
        help="with --size large: AWS Config records both regions (Posture reads the buckets from Config)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        metavar="MS",
        help="hold every call this many milliseconds in a proxy before moto (both tools), as a far region does",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, outputs)")
    args = parser.parse_args()
    if args.retries is not None and args.retries < 1:
        parser.error("--retries counts attempts: 1 or more")
    if args.latency is not None and args.latency < 0:
        parser.error("--latency is a delay in milliseconds: 0 or more")

    prowler = find_prowler(args.prowler)
    if prowler is None:
        print(
            f"Prowler not found ({args.prowler or 'prowler on PATH, ' + str(PROWLER_VENV)}): only Posture is timed. "
            "Install it in a virtual environment of its own (python -m venv V && V/bin/pip install prowler) "
            "and pass --prowler V/bin/prowler."
        )
    work = Path(tempfile.mkdtemp(prefix="versus-prowler-"))
    stack = ExitStack()
    proxy: LatencyProxy | None = None
    try:
        url, what = stack.enter_context(serve_estate(args.size, args.scale, args.aws_config))
        print(f"estate: {what}; regions {', '.join(REGIONS)}; moto at {url}")
        if args.latency is not None:
            proxy = stack.enter_context(LatencyProxy(url, delay=args.latency / 1000))
            url = proxy.url
            print(f"both tools call through {url}: {args.latency:g} ms added to every call")
        tools: list[Posture | Prowler] = [Posture(url, work, args.retries)]
        if args.retries is not None:
            print(f"both tools: {args.retries} attempt(s) per AWS call")
        if prowler:
            tools.append(Prowler(url, work, prowler, args.retries))
            retries = "" if args.retries is None else f", --aws-retries-max-attempts {args.retries}"
            print(f"prowler: {prowler} ({tools[-1].version}), --compliance {COMPLIANCE}{retries}")  # type: ignore[union-attr]
        best: dict[str, Run] = {}
        for n in range(args.runs):
            for tool in tools:  # in turn, never at once
                before = proxy.calls if proxy else 0
                result = tool.run(n)
                calls = ""
                if proxy:
                    result.calls = proxy.calls - before
                    calls = f" {result.calls} calls"
                print(
                    f"run {n + 1} {tool.name:8} {result.wall:7.1f}s wall {result.cpu:7.1f}s CPU "
                    f"{result.peak_mb:6.0f} MB{calls}  {result.findings} findings: {result.detail}",
                    flush=True,
                )
                if tool.name not in best or result.wall < best[tool.name].wall:
                    best[tool.name] = result
    finally:
        stack.close()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    posture = tools[0]
    assert isinstance(posture, Posture)
    add_wall, add_cpu, add_peak = min(posture.add_runs)
    print(
        f"\nbest of {args.runs} run(s); accounts add (not in the scan's figures): {add_wall:.1f}s wall, "
        f"{add_cpu:.1f}s CPU, {add_peak:.0f} MB"
    )
    ours = best["Posture"]
    rows = {
        "Posture": ours,  # the scan alone
        "Posture+add": Run(
            ours.wall + add_wall, ours.cpu + add_cpu, max(ours.peak_mb, add_peak), ours.findings, "", ours.calls
        ),
        **({"Prowler": best["Prowler"]} if "Prowler" in best else {}),
    }
    print(f"{'tool':12} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'findings':>9}" + ("  calls" if proxy else ""))
    for name, result in rows.items():
        calls = f"  {result.calls}" if result.calls is not None else ""
        print(f"{name:12} {result.wall:8.1f} {result.cpu:8.1f} {result.peak_mb:8.0f} {result.findings:9d}{calls}")
    if "Prowler" in rows:
        theirs = rows["Prowler"]
        for name in ("Posture", "Posture+add"):
            result = rows[name]
            print(
                f"Prowler / {name:12} {theirs.wall / result.wall:5.1f}x wall {theirs.cpu / result.cpu:5.1f}x CPU "
                f"{theirs.peak_mb / result.peak_mb:5.1f}x peak memory"
            )


if __name__ == "__main__":
    main()
