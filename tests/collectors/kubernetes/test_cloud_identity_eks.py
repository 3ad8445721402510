"""EKS end to end: an AWS account on moto -> scan -> `accounts clusters` -> add via -> scan inside the cluster.

The Kubernetes emulator stands in for the cluster's API server and checks the token as EKS does (see
emulators/kubernetes/cloud_auth.py); moto's EKS cluster reports the emulator as its endpoint.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management.base import CommandError
from django.urls import reverse

import collectors.aws  # noqa: F401  (registers the provider and collectors)
from emulators.aws.estate import ACCOUNT, REGION, build_containers
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.cloud_auth import EksTokenReviewer
from emulators.kubernetes.managed import MotoKeys, point_eks_cluster
from emulators.kubernetes.tls import TlsMaterial
from posture.inventory.accounts import AccountInput, AccountInputError, create_account
from posture.inventory.models import CloudAccount, Resource
from tests.collectors.aws.conftest import server_client
from tests.collectors.kubernetes.cloud_fixtures import assert_cluster_scanned, assert_denied, listed_clusters, run, scan
from tests.frontend.conftest import client_for

pytestmark = pytest.mark.django_db
ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/prod"


def iam_user(url: str, name: str) -> tuple[str, str, str]:
    iam = server_client(url)("iam")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


@pytest.fixture
def estate(server_url: str, cluster: KubernetesEmulator, tls: TlsMaterial) -> dict[str, str]:
    """The EKS cluster `prod` answering at the emulator; the scanner's IAM user mapped to a cluster user."""
    build_containers(server_client(server_url))
    point_eks_cluster(ACCOUNT, REGION, "prod", cluster.url, tls.ca_pem)
    arn, key_id, secret = iam_user(server_url, "posture-scanner")
    cluster.reviewers.append(
        EksTokenReviewer(
            "prod",
            keys=MotoKeys(ACCOUNT),  # STS's view: every key moto issued, users' and assumed roles' alike
            users={arn: "posture-scanner"},
            sts_endpoints=(urlsplit(server_url).netloc,),
        )
    )
    run("accounts", "add", "aws", "--name", "prod-aws", "--endpoint-url", server_url, "--regions", REGION,
        "--access-key-id", key_id, "--secret-access-key", secret, "--team", "platform")  # fmt: skip
    scan("prod-aws")
    return {"arn": arn, "key_id": key_id, "secret": secret}


def test_a_cluster_the_aws_scan_found_is_scanned_inside_with_the_accounts_identity(
    estate: dict[str, str], cluster: KubernetesEmulator, server_url: str
) -> None:
    assert listed_clusters("prod-aws") == [
        {"cluster": ARN, "name": "prod", "region": REGION, "platform": "eks", "version": "1.28", "scanned_as": []}
    ]
    assert "accounts add kubernetes --name NAME --via prod-aws --cluster CLUSTER" in run(
        "accounts", "clusters", "prod-aws"
    )

    out = run("accounts", "add", "kubernetes", "--name", "prod-eks", "--via", "prod-aws", "--cluster", ARN)
    assert "eks cluster" in out and "via prod-aws" in out
    child = CloudAccount.objects.get(name="prod-eks")
    assert (child.via.name, child.via_cluster, child.labels, child.team) == (
        "prod-aws",
        ARN,
        {"platform": "eks"},
        "platform",
    )
    assert not child.has_credentials  # borrowed at connect time, never copied
    assert "kubernetes via prod-aws" in run("accounts", "list")
    assert listed_clusters("prod-aws")[0]["scanned_as"] == ["prod-eks"]

    assert "credentials work" in run("accounts", "test", "prod-eks")
    assert CloudAccount.objects.get(name="prod-eks").external_id == "6a1f3c2e-0000-4000-8000-00000000c0de"
    scan("prod-eks")
    assert_cluster_scanned("prod-eks", "cis-eks-1.8")
    assert set(cluster.authenticated) == {"posture-scanner"} and not cluster.refusals

    # the cluster revokes the mapping: the next scan is denied, and nothing scanned before is lost
    resources = Resource.objects.filter(account__name="prod-eks").count()
    cloud_resources = Resource.objects.filter(account__name="prod-aws").count()
    cluster.reviewers[0].users.clear()
    _, output = scan("prod-eks")
    assert_denied("prod-eks", output)
    assert any("is not mapped to a user of cluster prod" in r for r in cluster.refusals)
    assert Resource.objects.filter(account__name="prod-eks", gone_at__isnull=True).count() == resources
    assert Resource.objects.filter(account__name="prod-aws").count() == cloud_resources


def test_a_token_signed_by_a_stranger_is_denied(
    estate: dict[str, str], cluster: KubernetesEmulator, server_url: str
) -> None:
    _, key_id, secret = iam_user(server_url, "intruder")  # a real key of the account, but not one the cluster maps
    run("accounts", "add", "aws", "--name", "other-aws", "--endpoint-url", server_url, "--regions", REGION,
        "--access-key-id", key_id, "--secret-access-key", secret)  # fmt: skip
    scan("other-aws")
    run("accounts", "add", "kubernetes", "--name", "other-eks", "--via", "other-aws", "--cluster", ARN)
    _, output = scan("other-eks")
    assert_denied("other-eks", output)
    assert not cluster.authenticated


def test_an_assumed_role_is_mapped_as_its_role(
    estate: dict[str, str], cluster: KubernetesEmulator, server_url: str
) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/PostureAudit"
    cluster.reviewers[0].users[role] = "posture-audit"  # mapRoles: the role, whatever the session name
    run("accounts", "add", "aws", "--name", "audit-aws", "--endpoint-url", server_url, "--regions", REGION,
        "--access-key-id", estate["key_id"], "--secret-access-key", estate["secret"], "--role-arn", role)  # fmt: skip
    scan("audit-aws")
    run("accounts", "add", "kubernetes", "--name", "audit-eks", "--via", "audit-aws", "--cluster", ARN)
    scan("audit-eks")
    assert_cluster_scanned("audit-eks", "cis-eks-1.8")
    assert set(cluster.authenticated) == {"posture-audit"}  # signed with the session's keys and token


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--via", "prod-aws", "--cluster", "prod"], "is not an EKS cluster ARN"),
        (["--via", "prod-aws", "--cluster", ARN.replace("/prod", "/gone")], "is not among the clusters prod-aws"),
        (["--via", "nobody", "--cluster", ARN], "no account named 'nobody'"),
        (["--via", "prod-aws"], "--via and --cluster go together"),
        (["--via", "prod-aws", "--cluster", ARN, "--kubeconfig", "/tmp/k"], "--kubeconfig do not apply"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(estate: dict[str, str], args: list[str], message: str) -> None:
    before = CloudAccount.objects.count()
    with pytest.raises(CommandError, match=message):
        run("accounts", "add", "kubernetes", "--name", "x", *args)
    assert CloudAccount.objects.count() == before


def test_a_borrowed_identity_cannot_be_given_as_credentials(estate: dict[str, str]) -> None:
    """Only --via sets up borrowing, after its checks: `via` typed in as a credential is refused."""
    forged = {"via": {"provider": "aws", "name": "prod-aws", "credentials": {}}, "cluster": ARN}
    with pytest.raises(AccountInputError, match="takes no credentials of its own"):
        create_account(AccountInput("kubernetes", "forged", [], credentials=forged), source="api")
    assert not CloudAccount.objects.filter(name="forged").exists()


def test_the_cloud_account_stays_while_clusters_are_scanned_via_it(estate: dict[str, str]) -> None:
    run("accounts", "add", "kubernetes", "--name", "prod-eks", "--via", "prod-aws", "--cluster", ARN)
    admin = User.objects.create_user("admin-user")
    admin.groups.add(Group.objects.get_or_create(name="admin")[0])
    web = client_for(admin)
    page = web.get(reverse("accounts")).content.decode()
    assert "via prod-aws" in page and ARN in page
    cloud = CloudAccount.objects.get(name="prod-aws")
    refused = web.post(reverse("account-remove", args=[cloud.pk]), {"confirm": "prod-aws"}, follow=True)
    assert "identity of cluster account(s) prod-eks" in refused.content.decode()
    with pytest.raises(CommandError, match="identity of cluster account"):
        run("accounts", "remove", "prod-aws")
    with pytest.raises(CommandError, match="scanned already, as prod-eks"):
        run("accounts", "add", "kubernetes", "--name", "again", "--via", "prod-aws", "--cluster", ARN)
    with pytest.raises(CommandError, match="not a cloud account"):
        run("accounts", "clusters", "prod-eks")
    with pytest.raises(CommandError, match="borrows the credentials of prod-aws"):
        run("accounts", "update", "prod-eks", "--kubeconfig", "/tmp/k")
    run("accounts", "remove", "prod-eks")
    run("accounts", "remove", "prod-aws")
    assert not CloudAccount.objects.exists()
