"""The EKS path end to end, real SDKs against moto and the Kubernetes emulator: the AWS account is scanned, its
EKS cluster ``prod`` is added ``--via`` it and scanned inside with its identity; the seeded path (LoadBalancer
-> privileged storefront -> IRSA orders-app -> s3:* on the orders-data bucket) opens and its decoys (a role
that reaches no bucket, an internal Service, a hardened pod) do not; the Service is made internal in the
emulator and a rescan closes the path. A binding of cluster-admin to ``system:anonymous`` then opens the cluster's
public endpoint (open to 0.0.0.0/0) as a way in."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

import collectors.aws  # noqa: F401  (registers the provider and collectors)
from emulators.aws.estate import ACCOUNT, REGION, build_containers
from emulators.aws.estate_paths import build_irsa_roles
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.cloud_auth import EksTokenReviewer
from emulators.kubernetes.managed import MotoKeys, point_eks_cluster
from emulators.kubernetes.paths_scenario import eks_orders_estate
from emulators.kubernetes.tls import TlsMaterial
from posture.paths.models import ExposurePath
from tests.collectors.aws.conftest import server_client
from tests.collectors.kubernetes.cloud_fixtures import run, scan

pytestmark = pytest.mark.django_db(transaction=True)  # paths are rebuilt once a scan commits
ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/prod"


def orders(roles: dict[str, str], fixed: bool = False):
    return eks_orders_estate(roles["app"], roles["audit"], fixed=fixed)


def test_the_seeded_eks_path_opens_its_decoys_do_not_and_an_internal_service_closes_it(
    server_url: str, tls: TlsMaterial
) -> None:
    client = server_client(server_url)
    build_containers(client)
    roles = build_irsa_roles(client, prefix="acme")
    iam = client("iam")
    scanner = iam.create_user(UserName="posture-scanner")["User"]["Arn"]
    key = iam.create_access_key(UserName="posture-scanner")["AccessKey"]
    with KubernetesEmulator(orders(roles), token="", tls=tls) as cluster:
        point_eks_cluster(ACCOUNT, REGION, "prod", cluster.url, tls.ca_pem)
        reviewer = EksTokenReviewer(
            "prod",
            keys=MotoKeys(ACCOUNT),
            users={scanner: "posture-scanner"},
            sts_endpoints=(urlsplit(server_url).netloc,),
        )
        cluster.reviewers.append(reviewer)
        run("accounts", "add", "aws", "--name", "prod-aws", "--endpoint-url", server_url, "--regions", REGION,
            "--access-key-id", key["AccessKeyId"], "--secret-access-key", key["SecretAccessKey"])  # fmt: skip
        scan("prod-aws")
        run("accounts", "add", "kubernetes", "--name", "prod-eks", "--via", "prod-aws", "--cluster", ARN)
        scan("prod-eks")
        opened = list(ExposurePath.objects.filter(closed_at__isnull=True))
        assert [p.title for p in opened] == ["Service orders/storefront -> S3 bucket acme-orders-data"]
        [path] = opened
        assert [h["edge"]["kind"] for h in path.hops[1:]] == [
            "exposes",
            "selects",
            "runs as",
            "assumes",
            "may read/write",
        ]
        assert path.hops[4]["uid"] == roles["app"] and path.hops[5]["uid"] == roles["bucket"]

        cluster.estate = orders(roles, fixed=True)
        scan("prod-eks")
        path.refresh_from_db()
        assert path.closed_at is not None and not ExposurePath.objects.filter(closed_at__isnull=True).exists()

        # anonymous requests bound to cluster-admin: the public endpoint (open to 0.0.0.0/0) becomes a way in
        cluster.estate = orders(roles, fixed=True)
        cluster.estate.add(
            "ClusterRoleBinding",
            "anonymous-admin",
            roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "system:anonymous"}],
        )
        scan("prod-eks")
    [endpoint] = ExposurePath.objects.filter(closed_at__isnull=True)
    assert [h["kind"] for h in endpoint.hops] == ["internet", "entry", "workload", "target"]
    assert endpoint.hops[1]["uid"] == ARN and endpoint.hops[1]["label"] == "API endpoint of prod"
    assert "kubernetes.rbac.no_anonymous_bindings" in {f["rule_id"] for f in endpoint.hops[2]["findings"]}
    assert endpoint.hops[3]["target_kind"] == "admin"
