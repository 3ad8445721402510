"""Time and memory to build the exposure graph and find its paths, for an estate of N resources (default 10,000).

    .venv/bin/python benchmarks/paths.py [--resources 10000] [--store]

The estate: clusters of namespaces, each with Services (a third exposed), Deployments (a quarter footholds),
service accounts (half bound to an IAM role or a Google service account), RBAC roles and bindings; AWS accounts
with roles (inline policies on a few buckets, some wide, a few admin), buckets and KMS keys; a Google Cloud
project with service accounts, buckets and IAM bindings; per namespace an EC2 instance (security groups,
half open to the internet, instance profile roles) and a VM instance (firewall rules by tag). ``--store``
also writes graph and paths into a fresh SQLite database (the full rebuild a scan runs). Goal: under 10 s for
10,000 resources.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_estate(resources: int):
    from tests.paths.estate import AWS, CLUSTER, GCP, Estate, allow, role_arn

    estate = Estate()
    clusters = max(1, resources // 2000)
    per_ns = 25  # objects per namespace: 4 Services, 4 Deployments, 4 SAs, 13 in the clouds
    estate.aws_account()
    network(estate, groups=50)
    for n in range(resources // per_ns):
        ns = f"ns-{n:05d}"
        cluster = CLUSTER + 10 * (n % clusters)
        for i in range(4):
            app = f"app-{i}"
            svc = estate.service(app, {"app": app}, exposed=(n + i) % 3 == 0, ns=ns)
            w = estate.workload(app, {"app": app}, app, foothold=(n * 4 + i) % 4 == 0, ns=ns)
            if (n + i) % 2 == 0:
                ann = {"eks.amazonaws.com/role-arn": role_arn(f"r-{n}-{i}")}
            else:
                ann = {"iam.gke.io/gcp-service-account": f"sa-{n}-{i}@acme.iam.gserviceaccount.com"}
            sa = estate.service_account(app, ann, ns=ns)
            for item in (svc, w, sa):
                object.__setattr__(item, "account", cluster)
        for i in range(4):
            bucket = estate.bucket(f"b-{n}-{i}")
            wide = (n + i) % 50 == 0
            statement = allow("*", "*") if (n + i) % 98 == 0 else allow("s3:GetObject", f"{bucket.uid}/*")
            estate.role(f"r-{n}-{i}", statement if not wide else allow("s3:*", "arn:aws:s3:::b-*"))
        estate.gcp_account(f"sa-{n}-0@acme.iam.gserviceaccount.com")
        estate.gcp_account(f"sa-{n}-2@acme.iam.gserviceaccount.com")
        member = f"serviceAccount:sa-{n}-0@acme.iam.gserviceaccount.com"
        estate.gcp_bucket(f"g-{n}", "acme", [{"role": "roles/storage.objectViewer", "members": [member]}])
        if n % 10 == 0:
            estate.add(GCP, "gcp", "gcp.kms.crypto_key", f"k-{n}", f"k-{n}", {"_project": "acme"})
        machines(estate, n, groups=50)
    estate.gcp_project(
        "acme", [{"role": "roles/storage.admin", "members": ["serviceAccount:sa-1-2@acme.iam.gserviceaccount.com"]}]
    )
    assert {i.account for i in estate.items} >= {AWS, GCP}
    return estate


NETWORK = "projects/acme/global/networks/default"


def network(estate, groups: int) -> None:
    """Security groups (every other one open to 0.0.0.0/0 on 443) and firewall rules (one per tag)."""
    from tests.paths.estate import AWS, GCP

    for g in range(groups):
        source = "0.0.0.0/0" if g % 2 == 0 else "10.0.0.0/8"
        perm = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": source}]}
        estate.add(
            AWS, "aws", "aws.ec2.security_group", f"sg-{g}", f"sg-{g}", {"GroupId": f"sg-{g}", "IpPermissions": [perm]}
        )
        rule = {
            "network": NETWORK,
            "sourceRanges": [source],
            "allowed": [{"IPProtocol": "tcp"}],
            "targetTags": [f"t-{g}"],
        }
        estate.add(GCP, "gcp", "gcp.compute.firewall", f"fw-{g}", f"fw-{g}", rule)


def machines(estate, n: int, groups: int) -> None:
    """An EC2 instance on role r-n-0's profile and a VM on sa-n-0, public on every other namespace."""
    from tests.paths.estate import AWS, GCP, PRIVILEGED

    role = next(i for i in reversed(estate.items) if i.type == "aws.iam.role" and i.name == f"r-{n}-0")
    profile = f"{role.uid.replace(':role/', ':instance-profile/')}"
    role.config["InstanceProfileList"] = [{"Arn": profile}]
    public = {"PublicIpAddress": "203.0.113.1"} if n % 2 else {}
    config = {
        "SecurityGroups": [{"GroupId": f"sg-{n // 2 % groups}"}],
        "IamInstanceProfile": {"Arn": profile},
        **public,
    }
    estate.finding(estate.add(AWS, "aws", "aws.ec2.instance", f"i-{n}", f"i-{n}", config), PRIVILEGED)
    interface = {"network": NETWORK, **({"accessConfigs": [{"natIP": "198.51.100.1"}]} if n % 2 else {})}
    vm = {
        "tags": {"items": [f"t-{n // 2 % groups}"]},
        "networkInterfaces": [interface],
        "serviceAccounts": [{"email": f"sa-{n}-0@acme.iam.gserviceaccount.com"}],
    }
    estate.finding(estate.add(GCP, "gcp", "gcp.compute.instance", f"vm-{n}", f"vm-{n}", vm), PRIVILEGED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--store", action="store_true", help="also store graph and paths in a scratch database")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "posture.settings")
    os.environ.setdefault("POSTURE_LOG_LEVEL", "warning")
    import django

    django.setup()
    from posture.paths.graph import build_graph
    from posture.paths.search import find_paths

    estate = make_estate(args.resources)
    print(f"estate: {len(estate.items):,} resources, {sum(map(len, estate.findings.values())):,} failing findings")
    t0 = time.perf_counter()
    graph = build_graph(estate.items, estate.findings, estate.links)
    t1 = time.perf_counter()
    paths = find_paths(graph)
    t2 = time.perf_counter()
    print(f"graph: {len(graph.nodes):,} nodes, {len(graph.edges):,} edges in {t1 - t0:.2f} s")
    print(f"paths: {len(paths):,} found in {t2 - t1:.2f} s (admin {sum(p.target_kind == 'admin' for p in paths)})")
    machines = sum(p.nodes[2].provider != "kubernetes" for p in paths)
    print(f"  of which {machines:,} through a firewall open to the internet and a public machine")
    print(f"total: {t2 - t0:.2f} s (goal: under 10 s)")
    tracemalloc.start()  # a second run under tracemalloc (slower) for the memory figure
    find_paths(build_graph(estate.items, estate.findings, estate.links))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory: {peak / 2**20:.1f} MiB allocated while building the graph and finding the paths")
    if args.store:
        store(graph, paths)


def store(graph, paths) -> None:
    """Graph and paths into a scratch SQLite database, as a scan's rebuild writes them."""
    import tempfile

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    settings.DATABASES["default"]["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    connection.close()
    call_command("migrate", verbosity=0)
    from posture.paths.refresh import store_graph, store_paths

    for n in graph.nodes.values():  # the scratch database has no accounts or resources: keep the hops only
        n.resource = n.account = None
    for p in paths:
        p.accounts = set()
    t0 = time.perf_counter()
    with transaction.atomic():  # as refresh_paths does
        store_graph(graph)
        store_paths(paths, timezone.now(), None)
    print(f"store: graph and {len(paths):,} paths written in {time.perf_counter() - t0:.2f} s (SQLite)")


if __name__ == "__main__":
    main()
