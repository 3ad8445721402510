"""API under load on PostgreSQL: 1M findings over 50 accounts, measured on loopback.

    .venv/bin/python benchmarks/api_load.py                       # seed (once) and measure
    .venv/bin/python benchmarks/api_load.py --findings 200000     # smaller
    .venv/bin/python benchmarks/api_load.py --reseed
    .venv/bin/python benchmarks/api_load.py --concurrency 1,2,4,8   # clients at once (default 4,8)

Prints p50/p95/p99 of the findings list with common filters, the compliance
summary and trend, export throughput (rows/s and the server's peak memory),
and the ingest time of a 100,000-finding scan through the real pipeline.
Goals (issue 7): list p95 < 150 ms, compliance p95 < 50 ms, export >= 50,000 rows/s
with flat memory, ingest < 30 s.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RULES = [f"bench.store.rule_{n}" for n in range(5)]
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/posture_bench")
    p.add_argument("--findings", type=int, default=1_000_000)
    p.add_argument("--accounts", type=int, default=50)
    p.add_argument("--days", type=int, default=30, help="days of scan history for the trend")
    p.add_argument(
        "--concurrency",
        default="4,8",
        help="clients at once, a comma-separated list: every scenario is measured at each (default 4,8)",
    )
    p.add_argument("--requests", type=int, default=200, help="requests per scenario")
    p.add_argument("--ingest-findings", type=int, default=100_000)
    p.add_argument("--reseed", action="store_true")
    return p.parse_args()


def register_bench_rules(tmp: Path) -> None:
    """A provider-free rule set and framework, registered before Django starts."""
    from posture.rules import frameworks
    from posture.rules.registry import rule
    from posture.rules.verdicts import check, observed

    for n, rule_id in enumerate(RULES):

        def fn(resource, ctx, n=n):
            return check(resource.config.get(f"k{n}", True), "fine", "not fine", observed(resource.config, f"k{n}"))

        rule(
            id=rule_id,
            title=f"Bench rule {n}",
            severity=SEVERITIES[n],
            category="storage",
            resource_type="bench.store.thing",
            rationale="bench",
            remediation="bench",
        )(fn)
    controls = "\n".join(
        f"      - {{id: '1.{n}', title: c{n}, assessment: automated, rules: [{rule_id}]}}"
        for n, rule_id in enumerate(RULES)
    )
    (tmp / "bench.yaml").write_text(
        "id: bench-1.0\ntitle: Bench\nversion: '1'\nprovider: bench\n"
        f"sections:\n  - id: '1'\n    title: S\n    controls:\n{controls}\n"
    )
    frameworks.add_directory(tmp)


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def seed(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.utils import timezone

    from posture.findings.models import ChangeCounter, ComplianceScore, ComplianceSnapshot, Finding
    from posture.findings.search import search_text
    from posture.inventory.models import CloudAccount, Resource
    from posture.scans.models import Scan

    if (
        CloudAccount.objects.filter(provider="bench").exclude(name="bench-ingest").count() == args.accounts
        and not args.reseed
    ):
        print(f"seed: reusing {Finding.objects.count():,} findings")
        return
    t0 = time.perf_counter()
    for model in (ComplianceSnapshot, ComplianceScore, Finding, Resource, Scan, CloudAccount):
        model.objects.all().delete()
    now = timezone.now()
    accounts = CloudAccount.objects.bulk_create(
        [CloudAccount(provider="bench", name=f"bench-{a:03d}", team=f"team-{a % 5}") for a in range(args.accounts)]
    )
    per_account = args.findings // args.accounts // len(RULES)
    rnd = random.Random(7)
    raw = connection.connection
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY inventory_resource (account_id, provider, service, region, type, uid, name, tags, config,"
            " config_hash,"
            " first_seen, last_seen) FROM STDIN"
        ) as copy,
    ):
        for a in accounts:
            for r in range(per_account):
                uid = f"arn:bench:{a.name}:thing/{r}"
                copy.write_row(
                    (
                        a.pk,
                        "bench",
                        "store",
                        f"region-{r % 4}",
                        "bench.store.thing",
                        uid,
                        f"thing-{r}",
                        "{}",
                        '{"k0": true}',
                        "0" * 64,
                        now,
                        now,
                    )
                )
    ids = dict(
        ((acc, uid), pk) for pk, acc, uid in Resource.objects.values_list("id", "account_id", "uid").iterator(20000)
    )
    seq = 0
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY findings_finding (account_id, rule_id, resource_id, resource_uid, status, severity, message,"
            " evidence,"
            " first_seen, last_seen, status_changed_at, muted, updated_at, change_seq, search_text) FROM STDIN"
        ) as copy,
    ):
        for (acc, uid), pk in ids.items():
            for n, rule_id in enumerate(RULES):
                seq += 1
                status = "FAIL" if rnd.random() < 0.3 else "PASS"
                copy.write_row(
                    (
                        acc,
                        rule_id,
                        pk,
                        uid,
                        status,
                        SEVERITIES[n],
                        "m",
                        '[{"path": "k", "value": 1}]',
                        now - timedelta(days=rnd.randint(0, 90)),
                        now,
                        now,
                        False,
                        now,
                        seq,
                        search_text(rule_id, uid, "thing-" + uid.rsplit("/", 1)[1], "m"),
                    )
                )
    ChangeCounter.objects.update_or_create(pk=1, defaults={"value": seq})
    scans, snapshots, scores = [], [], []
    for a in accounts:
        for _d in range(args.days):
            scans.append(Scan(account=a, state="succeeded", trigger="bench"))
    Scan.objects.bulk_create(scans, batch_size=5000)
    for scan in Scan.objects.filter(trigger="bench").select_related("account"):
        day = scan.pk % args.days
        taken = now - timedelta(days=day)
        for n in range(len(RULES)):
            passed = rnd.randint(0, 1)
            snapshots.append(
                ComplianceSnapshot(
                    scan=scan,
                    account=scan.account,
                    taken_at=taken,
                    framework_id="bench-1.0",
                    control_id=f"1.{n}",
                    automated=True,
                    status="pass" if passed else "fail",
                    passed=rnd.randint(0, 500),
                    failed=0 if passed else rnd.randint(1, 500),
                )
            )
        scores.append(
            ComplianceScore(
                scan=scan,
                account=scan.account,
                taken_at=taken,
                framework_id="bench-1.0",
                controls_passed=rnd.randint(0, 5),
                controls_failed=rnd.randint(0, 5),
            )
        )
    ComplianceSnapshot.objects.bulk_create(snapshots, batch_size=5000)
    ComplianceScore.objects.bulk_create(scores, batch_size=5000)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"seed: {seq:,} findings, {len(ids):,} resources, {len(scans):,} scans in {time.perf_counter() - t0:.1f}s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, path: str, token: str, lines: list[int] | None = None) -> tuple[float, int, int]:
    """GET ``path``: seconds, status and bytes (and, into ``lines``, how many lines came)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    size = newlines = 0
    while chunk := response.read(65536):
        size += len(chunk)
        newlines += chunk.count(b"\n")
    elapsed = time.perf_counter() - t0
    conn.close()
    if lines is not None:
        lines.append(newlines)
    return elapsed, response.status, size


def measure(port: int, token: str, name: str, paths: list[str], args: argparse.Namespace) -> None:
    for clients in [int(c) for c in str(args.concurrency).split(",")]:
        measure_at(port, token, name, paths, clients, args.requests)


def measure_at(port: int, token: str, name: str, paths: list[str], clients: int, requests: int) -> None:
    work = [paths[n % len(paths)] for n in range(requests)]
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda p: request(port, p, token), work[: clients * 2]))  # warm-up, not counted
        results = list(pool.map(lambda p: request(port, p, token), work))
    bad = [s for _, s, _ in results if s != 200]
    times = sorted(t * 1000 for t, _, _ in results)
    q = statistics.quantiles(times, n=100)
    print(
        f"{name:<34} p50 {q[49]:7.1f} ms  p95 {q[94]:7.1f} ms  p99 {q[98]:7.1f} ms  ({len(times)} requests,"
        f" {clients} at once, {statistics.mean(s for _, _, s in results) / 1024:.0f} KB each"
        f"{', ' + str(len(bad)) + ' errors' if bad else ''})"
    )


def rss_mb(pid: int, field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident memory."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ingest(args: argparse.Namespace) -> None:
    """A real scan of a synthetic estate with --ingest-findings findings."""
    from collectors.records import Identity, ResourceRecord
    from collectors.registry import REGISTRY, BaseProvider
    from posture.inventory.models import CloudAccount
    from posture.scans.pipeline import create_scan, run_scan

    count = args.ingest_findings // len(RULES)

    class Bench(BaseProvider):
        name = "bench"

        def connect(self, target):
            return None

        def list_regions(self, session, target):
            return ["region-0", "region-1", "region-2", "region-3"]

        def identify(self, session):
            return Identity("bench")

    if "bench" not in REGISTRY.provider_names():
        REGISTRY.add_provider(Bench())

        @REGISTRY.collector("bench", "store")
        def things(session, region):
            n0 = int(region[-1])
            for r in range(n0, count, 4):
                yield ResourceRecord(
                    "bench",
                    "store",
                    "bench.store.thing",
                    f"ingest/thing/{r}",
                    f"t{r}",
                    region,
                    config={f"k{r % 5}": r % 3 != 0, "size": r},
                )

    # An earlier run's ingest account goes first: the first scan below must find nothing to compare with.
    t0 = time.perf_counter()
    CloudAccount.objects.filter(name="bench-ingest").delete()
    removed = time.perf_counter() - t0
    account = CloudAccount.objects.create(name="bench-ingest", provider="bench")
    print(f"ingest: the previous run's account removed in {removed:.1f} s (not counted)")
    for label in ("first (all new)", "second (unchanged)"):
        t0 = time.perf_counter()
        scan = run_scan(create_scan(account).pk)
        print(f"ingest {label:<19} {args.ingest_findings:,} findings: {time.perf_counter() - t0:6.1f} s ({scan.state})")


def main() -> None:
    args = parse()
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="posture-bench-"))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    os.environ["POSTURE_LOG_LEVEL"] = "warning"
    register_bench_rules(tmp)
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from posture.access.tokens import issue_token

    call_command("migrate", verbosity=0)
    seed(args)
    user, _ = User.objects.get_or_create(username="bench")
    # a member of every team sees every account (a viewer of no team would see only unowned ones)
    user.groups.add(Group.objects.get(name="viewer"))
    for team in range(5):
        user.groups.add(Group.objects.get_or_create(name=f"team:team-{team}")[0])
    token = issue_token(user, "bench")[1]

    port = free_port()
    env = {**os.environ, "POSTURE_FRAMEWORK_DIRS": str(tmp), "POSTURE_PLUGINS": "benchmarks.bench_plugin"}
    (ROOT / "benchmarks" / "bench_plugin.py").write_text(
        "# written by api_load.py: registers the bench rules in the server process\n"
        "import sys\nfrom pathlib import Path\nfrom benchmarks.api_load import register_bench_rules\n"
        f"register_bench_rules(Path({str(tmp)!r}))\n"
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "posture.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        print(f"server: gunicorn, 2 workers x 4 threads, {args.findings:,} findings, {args.accounts} accounts")
        measure(port, token, "findings, status=FAIL", ["/api/v1/findings/?status=FAIL"], args)
        measure(
            port,
            token,
            "findings, account+severity",
            [f"/api/v1/findings/?account=bench-{a:03d}&severity=high&status=FAIL" for a in range(args.accounts)],
            args,
        )
        measure(
            port,
            token,
            "findings, framework+control",
            [f"/api/v1/findings/?framework=bench-1.0&control=1.{n}&status=FAIL" for n in range(5)],
            args,
        )
        measure(port, token, "findings, text search", ["/api/v1/findings/?q=thing/12&status=FAIL"], args)
        measure(port, token, "compliance summary (all accounts)", ["/api/v1/compliance/bench-1.0/"], args)
        measure(
            port,
            token,
            "compliance summary (team)",
            [f"/api/v1/compliance/bench-1.0/?team=team-{t}" for t in range(5)],
            args,
        )
        measure(port, token, "compliance trend, 30 days", ["/api/v1/compliance/bench-1.0/trend/?days=30"], args)
        workers = [
            int(p)
            for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True, text=True).stdout.split()
        ]
        before = max(rss_mb(p, "VmRSS") for p in workers)
        lines: list[int] = []
        elapsed, status, size = request(port, "/api/v1/findings/export/?format=csv", token, lines)
        exported = lines[0] - 1  # the header; the bench findings' fields hold no line breaks
        peak = max(rss_mb(p) for p in workers)
        print(
            f"export csv, all findings             {exported / elapsed:,.0f} rows/s ({exported:,} rows,"
            f" {size / 1e6:.0f} MB in {elapsed:.1f} s, status {status});"
            f" server worker RSS {before:.0f} MB before, peak {peak:.0f} MB"
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        (ROOT / "benchmarks" / "bench_plugin.py").unlink(missing_ok=True)
    ingest(args)


if __name__ == "__main__":
    main()
