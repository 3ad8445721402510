"""Scan a generated AWS estate on a local moto server and print how fast and how big the scanner is.

    .venv/bin/python benchmarks/aws_scan.py                      # the issue's default size
    .venv/bin/python benchmarks/aws_scan.py --buckets 100 --security-groups 400 --users 100 \\
        --clusters 10 --repositories 40                           # a quicker run

The moto server runs in its own process (127.0.0.1, a free port), so the CPU
time of this process is the scanner's own work: boto3 request signing and
response parsing, the collectors, and the rules. Figures printed: collection
and rule-evaluation wall time, API calls, resources/s, findings/s, the
scanner's CPU share of wall time, and this process's peak RSS. Persistence to
the database is not part of this benchmark.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import resource
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import botocore.exceptions  # noqa: E402
import botocore.parsers  # noqa: E402
import requests  # noqa: E402
from botocore.config import Config  # noqa: E402

import collectors.run as run_module  # noqa: E402
from emulators.aws.estate_config import build_config_recording  # noqa: E402

FAKE_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"]
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "b" * 64},
        "layers": [],
    }
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, **FAKE_KEYS, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "emulators.aws.moto_main", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return server, url
        except requests.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the moto server did not start")


def clients(url: str):
    cache: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str = "us-east-1") -> Any:
        if (service, region) not in cache:
            cache[(service, region)] = boto3.client(
                service,
                region_name=region,
                endpoint_url=url,
                config=Config(retries={"mode": "standard", "max_attempts": 10}),  # moto races under load
            )
        return cache[(service, region)]

    return client


def spread(total: int, regions: list[str]) -> list[tuple[int, str]]:
    return [(n, regions[n % len(regions)]) for n in range(total)]


def build(url: str, args: argparse.Namespace, regions: list[str]) -> None:
    client = clients(url)
    iam = client("iam")

    def user(n: int) -> None:
        name = f"user-{n:05d}"
        iam.create_user(UserName=name)
        if n % 2 == 0:
            iam.create_login_profile(UserName=name, Password="Bench-Password-1!")
        if n % 3 == 0:
            iam.create_access_key(UserName=name)

    def bucket(n: int) -> None:
        name = f"bench-bucket-{n:05d}"
        client("s3").create_bucket(Bucket=name)
        if n % 2:
            client("s3").put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    vpcs = {r: client("ec2", r).create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"] for r in regions}

    def security_group(item: tuple[int, str]) -> None:
        n, region = item
        ec2 = client("ec2", region)
        name = f"sg-{n:05d}"
        try:
            group = ec2.create_security_group(GroupName=name, Description="bench", VpcId=vpcs[region])["GroupId"]
        except botocore.exceptions.ClientError as exc:  # created by an attempt moto answered with a 500
            if exc.response.get("Error", {}).get("Code") != "InvalidGroup.Duplicate":
                raise
            found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
            group = found["SecurityGroups"][0]["GroupId"]
        port = 22 if n % 5 == 0 else 443
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )

    def cluster(item: tuple[int, str]) -> None:
        n, region = item
        eks = client("eks", region)
        eks.create_cluster(
            name=f"cluster-{n:04d}",
            version="1.33",
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        )
        eks.create_nodegroup(
            clusterName=f"cluster-{n:04d}",
            nodegroupName="workers",
            subnets=["subnet-1"],
            nodeRole="arn:aws:iam::123456789012:role/node",
        )

    def repository(item: tuple[int, str]) -> None:
        n, region = item
        ecr = client("ecr", region)
        ecr.create_repository(repositoryName=f"repo-{n:05d}")
        ecr.put_image(repositoryName=f"repo-{n:05d}", imageManifest=MANIFEST, imageTag="v1")

    if getattr(args, "aws_config", False):  # AWS Config recording every supported type in each region
        for region in regions:
            build_config_recording(lambda service, region=region: client(service, region), "bench-bucket-00000")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(retried(user), range(args.users)))
        list(pool.map(retried(bucket), range(args.buckets)))
        list(pool.map(retried(security_group), spread(args.security_groups, regions)))
        list(pool.map(retried(cluster), spread(args.clusters, regions)))
        list(pool.map(retried(repository), spread(args.repositories, regions)))


def retried(fn: Any, attempts: int = 5) -> Any:
    """``fn`` again when moto answers a concurrent build with an HTML 500 page (which botocore cannot parse and
    does not retry). The security groups' builder, where moto fails most, takes up a group an earlier attempt
    created; another builder's retry may still stop at what its first attempt left."""

    def run(item: Any) -> None:
        for attempt in range(attempts):
            try:
                fn(item)
                return
            except botocore.parsers.ResponseParserError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    return run


class UnitProfiler:
    """With ``--profile``: cProfile inside every collector unit's own thread, so the CPU the scanner
    spends can be split into Posture's code, boto3/botocore/urllib3, and the rest (stdlib parsing)."""

    def __init__(self) -> None:
        self.stats: pstats.Stats | None = None
        self.lock = threading.Lock()
        self.original = run_module._run_unit

    def __enter__(self) -> UnitProfiler:
        def profiled(provider: Any, session: Any, unit: Any) -> Any:
            profile = cProfile.Profile()
            profile.enable()
            try:
                return self.original(provider, session, unit)
            finally:
                profile.disable()
                with self.lock:
                    if self.stats is None:
                        self.stats = pstats.Stats(profile)
                    else:
                        self.stats.add(profile)

        run_module._run_unit = profiled
        # per-resource detail calls run on their own small pools; run them inline so they are profiled too
        self.detail_maps = {}
        for name, module in list(sys.modules.items()):
            if name.startswith("collectors.aws.") and hasattr(module, "detail_map"):
                self.detail_maps[module] = module.detail_map
                module.detail_map = lambda fn, items, workers=0: map(fn, items)
        return self

    def __exit__(self, *exc: object) -> None:
        run_module._run_unit = self.original
        for module, original in self.detail_maps.items():
            module.detail_map = original

    def shares(self) -> dict[str, float]:
        """Self time per party, as a share of all profiled self time (waiting in sockets shows as stdlib)."""
        buckets: Counter[str] = Counter()
        ours = (str(ROOT / "collectors"), str(ROOT / "posture"))
        for (filename, _line, name), row in (self.stats.stats if self.stats else {}).items():
            self_time = row[2]
            if filename.startswith(ours):
                buckets["posture code"] += self_time
            elif any(part in filename for part in ("/botocore/", "/boto3/", "/urllib3/", "/dateutil/")):
                buckets["boto3/botocore/urllib3"] += self_time
            elif (
                name in ("<method 'recv_into' of '_socket.socket' objects>", "<method 'poll' of 'select.poll' objects>")
                or "acquire" in name
                or "sendall" in name
            ):
                buckets["waiting (sockets, locks)"] += self_time
            else:
                buckets["stdlib and other (json/xml parsing, threads)"] += self_time
        total = sum(buckets.values()) or 1.0
        return {k: 100 * v / total for k, v in buckets.most_common()}


@contextlib.contextmanager
def timed_units(found: list[tuple[float, str]]) -> Any:
    """Each collector unit's wall seconds, appended to ``found`` as (seconds, "service region")."""
    original = run_module._run_unit

    def timed(provider: Any, session: Any, unit: Any, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(provider, session, unit, *args, **kwargs)
        finally:
            found.append((time.perf_counter() - started, f"{unit.service} {unit.region}"))

    run_module._run_unit = timed
    try:
        yield
    finally:
        run_module._run_unit = original


def scan(url: str, regions: list[str], concurrency: int, profile: bool = False) -> dict[str, Any]:
    import importlib
    import pkgutil

    import posture.rules.packs.aws as aws_rules
    from benchmarks.call_counts import AwsCallCounter
    from collectors.aws import PROVIDER
    from collectors.records import Target
    from collectors.run import collect, plan
    from posture.rules.evaluate import evaluate

    # the AWS rule packs alone: no Django, no other provider's SDK (the worker process adds those)
    for info in pkgutil.iter_modules(aws_rules.__path__):
        importlib.import_module(f"{aws_rules.__name__}.{info.name}")
    baseline_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    target = Target(provider="aws", name="bench", regions=tuple(regions), endpoint_url=url, credentials={})
    wall0, cpu0 = time.perf_counter(), time.process_time()
    session = PROVIDER.connect(target)
    profiler = UnitProfiler()
    units: list[tuple[float, str]] = []
    with (
        AwsCallCounter() as counter,
        timed_units(units),
        profiler if profile else contextlib.nullcontext(),
    ):
        result = collect(PROVIDER, session, plan(PROVIDER, session, target), concurrency=concurrency)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    findings = list(evaluate(result.records))
    wall2, cpu2 = time.perf_counter(), time.process_time()
    return {
        "collect_s": wall1 - wall0,
        "collect_cpu_s": cpu1 - cpu0,
        "rules_s": wall2 - wall1,
        "rules_cpu_s": cpu2 - cpu1,
        "api_calls": session.api_calls,
        "by_operation": counter.calls,
        "seconds": counter.seconds,
        "units": sorted(units, reverse=True),
        "repeated": {k: n for k, n in counter.paths.items() if n > 1},
        "resources": len(result.records),
        "types": Counter(r.type for r in result.records),
        "findings": len(findings),
        "statuses": Counter(str(f.status) for f in findings),
        "errors": [f"{e.service}/{e.region}: {e.kind}" for e in result.errors],
        "baseline_mb": baseline_mb,
        "profile": profiler.shares() if profile else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=2, help="how many regions (max 4)")
    parser.add_argument("--buckets", type=int, default=500)
    parser.add_argument("--security-groups", type=int, default=2000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--repositories", type=int, default=200)
    parser.add_argument(
        "--aws-config", action="store_true", help="AWS Config records every region (S3 buckets read from Config)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="collector units run at once")
    parser.add_argument("--profile", action="store_true", help="split the scanner's CPU by party (slower)")
    parser.add_argument("--by-operation", action="store_true", help="the API calls per service and operation")
    args = parser.parse_args()
    os.environ.update(FAKE_KEYS)
    os.environ["POSTURE_AWS_MAX_ATTEMPTS"] = "2"
    regions = REGIONS[: max(1, min(args.regions, len(REGIONS)))]

    server, url = start_server()
    try:
        started = time.perf_counter()
        build(url, args, regions)
        print(f"estate built in {time.perf_counter() - started:.1f}s on {url} ({', '.join(regions)})")
        figures = scan(url, regions, args.concurrency, args.profile)
    finally:
        server.terminate()
        server.wait(timeout=10)

    wall = figures["collect_s"] + figures["rules_s"]
    cpu = figures["collect_cpu_s"] + figures["rules_cpu_s"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"resources        {figures['resources']}")
    print(f"api calls        {figures['api_calls']}")
    print(f"collection       {figures['collect_s']:.2f}s wall, {figures['collect_cpu_s']:.2f}s scanner CPU")
    print(
        f"rules            {figures['rules_s']:.2f}s wall, {figures['findings']} findings {dict(figures['statuses'])}"
    )
    print(f"scan wall time   {wall:.2f}s")
    print(f"resources/s      {figures['resources'] / wall:.0f}")
    print(
        f"findings/s       {figures['findings'] / wall:.0f}  (rule evaluation alone: "
        f"{figures['findings'] / max(figures['rules_s'], 1e-9):.0f}/s)"
    )
    print(f"scanner CPU      {cpu:.2f}s = {100 * cpu / wall:.0f}% of wall time (includes boto3 signing and parsing)")
    if args.by_operation:
        print("api calls per operation (a page is a call; retries not counted), and their seconds from request to")
        print("answer summed over threads (calls overlap: a share of the time moto and the client spent, not wall):")
        total = sum(figures["seconds"].values()) or 1.0
        for name, n in figures["by_operation"].most_common():
            spent = figures["seconds"].get(name, 0.0)
            print(f"  {n:6d}  {spent:7.1f}s {100 * spent / total:3.0f}%  {name}")
        repeated = figures["repeated"]
        print(f"the same call more than once: {sum(repeated.values()) - len(repeated)} extra calls")
        for name, n in sorted(repeated.items(), key=lambda kv: -kv[1])[:10]:
            print(f"  {n:6d}x {name[:140]}")
    if figures["profile"]:
        shares = ", ".join(f"{k} {v:.0f}%" for k, v in figures["profile"].items())
        print(f"profiled self time in collector threads: {shares}")
    slowest = ", ".join(f"{name} {seconds:.1f}s" for seconds, name in figures["units"][:6])
    print(f"slowest units    {slowest}")
    print(f"peak memory      {peak_mb:.0f} MB RSS (before the scan: {figures['baseline_mb']:.0f} MB)")
    if figures["errors"]:
        print("not collected    " + "; ".join(figures["errors"]))


if __name__ == "__main__":
    main()
