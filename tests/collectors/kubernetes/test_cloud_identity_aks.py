"""AKS end to end: an Azure subscription on the ARM emulator -> scan -> `accounts clusters` -> add via -> scan inside.

The ARM emulator's listClusterUserCredential hands out a kubeconfig for the Kubernetes emulator: a static
token for the local-account cluster, `exec: kubelogin` for the Entra ID one (whose token Posture gets from
the subscription's own credential, as kubelogin would).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import collectors.azure  # noqa: F401  (registers the provider and collectors)
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.cloud_auth import StaticTokens
from emulators.kubernetes.managed import aks_user_kubeconfig
from emulators.kubernetes.tls import TlsMaterial
from posture.inventory.models import CloudAccount, Resource
from tests.collectors.azure.conftest import TOKEN, fast_retries  # noqa: F401
from tests.collectors.kubernetes.cloud_fixtures import assert_cluster_scanned, assert_denied, listed_clusters, run, scan

pytestmark = pytest.mark.django_db
CLUSTER_TOKEN = "aks-local-account-token-0123456789abcdef"


@pytest.fixture
def arm() -> Iterator[ArmEmulator]:
    with ArmEmulator(demo_estate(), token=TOKEN) as running:
        yield running


@pytest.fixture
def clusters(arm: ArmEmulator, cluster: KubernetesEmulator, tls: TlsMaterial) -> dict[str, str]:
    """The subscription scanned; both AKS clusters' user credentials point at the emulator."""
    run("accounts", "add", "azure", "--name", "prod-az", "--endpoint-url", arm.url, "--access-token", TOKEN,
        "--subscription-id", SUB, "--team", "payments")  # fmt: skip
    scan("prod-az")
    found = {c["name"]: c["cluster"] for c in listed_clusters("prod-az")}
    assert set(found) == {"aks-prod", "aks-legacy"}
    arm.set_cluster_credential(
        found["aks-legacy"], aks_user_kubeconfig("aks-legacy", cluster.url, tls.ca_pem, token=CLUSTER_TOKEN)
    )
    arm.set_cluster_credential(found["aks-prod"], aks_user_kubeconfig("aks-prod", cluster.url, tls.ca_pem, aad=True))
    cluster.reviewers.append(StaticTokens({CLUSTER_TOKEN: "clusterUser", TOKEN: "posture@contoso.example"}))
    return found


def test_a_local_account_cluster_is_scanned_with_the_user_credential(
    clusters: dict[str, str], arm: ArmEmulator, cluster: KubernetesEmulator
) -> None:
    run(
        "accounts", "add", "kubernetes", "--name", "legacy-aks", "--via", "prod-az", "--cluster", clusters["aks-legacy"]
    )
    child = CloudAccount.objects.get(name="legacy-aks")
    assert (child.labels, child.team, child.via.name) == ({"platform": "aks"}, "payments", "prod-az")
    scan("legacy-aks")
    assert_cluster_scanned("legacy-aks", "cis-aks-1.8")
    assert set(cluster.authenticated) == {"clusterUser"}
    assert arm.requests_to("/managedClusters/aks-legacy/listClusterUserCredential") == 1

    # the cluster's credentials are rotated: the kubeconfig ARM hands out no longer works
    cloud_findings = Resource.objects.filter(account__name="prod-az").count()
    cluster.reviewers[0].tokens.pop(CLUSTER_TOKEN)
    _, output = scan("legacy-aks")
    assert_denied("legacy-aks", output)
    assert Resource.objects.filter(account__name="legacy-aks", gone_at__isnull=True).exists()
    assert Resource.objects.filter(account__name="prod-az").count() == cloud_findings


def test_an_entra_id_cluster_gets_a_token_for_the_aks_server_application(
    clusters: dict[str, str], cluster: KubernetesEmulator
) -> None:
    run("accounts", "add", "kubernetes", "--name", "prod-aks", "--via", "prod-az", "--cluster", clusters["aks-prod"])
    scan("prod-aks")
    assert_cluster_scanned("prod-aks", "cis-aks-1.8")
    assert set(cluster.authenticated) == {"posture@contoso.example"}  # the subscription's identity, not a kubeconfig's


def test_a_subscription_denied_the_cluster_credential_says_denied(
    clusters: dict[str, str], arm: ArmEmulator, cluster: KubernetesEmulator
) -> None:
    run(
        "accounts", "add", "kubernetes", "--name", "legacy-aks", "--via", "prod-az", "--cluster", clusters["aks-legacy"]
    )
    arm.fail("/listClusterUserCredential", 403)
    _, output = scan("legacy-aks")
    scan_row = assert_denied("legacy-aks", output)
    assert "access was denied" in scan_row.message and "AuthorizationFailed" in scan_row.message
    assert "\n" not in scan_row.message
    assert not cluster.requests  # never reached the API server
