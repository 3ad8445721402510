"""GKE end to end: a Google Cloud project on the emulator -> scan -> `accounts clusters` -> add via -> scan inside.

The GKE cluster record's endpoint and CA point at the Kubernetes emulator, which accepts the project
account's own access token (as GKE accepts a Google OAuth token).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import collectors.gcp  # noqa: F401  (registers the provider and collectors)
from emulators.gcp import GcpEmulator, demo_estate
from emulators.gcp.estate_gke import point_cluster
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.cloud_auth import StaticTokens
from emulators.kubernetes.tls import TlsMaterial
from posture.inventory.models import CloudAccount, Resource
from tests.collectors.gcp.conftest import TOKEN
from tests.collectors.kubernetes.cloud_fixtures import assert_cluster_scanned, assert_denied, listed_clusters, run, scan

pytestmark = pytest.mark.django_db
REF = "projects/acme-prod/locations/europe-west1/clusters/payments"


@pytest.fixture
def gcp(cluster: KubernetesEmulator, tls: TlsMaterial) -> Iterator[GcpEmulator]:
    estate = demo_estate()
    point_cluster(estate, REF, cluster.url, tls.ca_pem)
    with GcpEmulator(estate, token=TOKEN) as running:
        yield running


@pytest.fixture
def scanned(gcp: GcpEmulator, cluster: KubernetesEmulator) -> None:
    run("accounts", "add", "gcp", "--name", "acme", "--endpoint-url", gcp.url, "--access-token", TOKEN,
        "--projects", "acme-prod", "--team", "payments")  # fmt: skip
    scan("acme")
    cluster.reviewers.append(StaticTokens({TOKEN: "posture@acme-prod.iam.gserviceaccount.com"}))


def test_a_gke_cluster_is_scanned_with_the_projects_access_token(
    scanned: None, gcp: GcpEmulator, cluster: KubernetesEmulator
) -> None:
    assert [(c["cluster"], c["platform"], c["scanned_as"]) for c in listed_clusters("acme")] == [(REF, "gke", [])]
    run("accounts", "add", "kubernetes", "--name", "payments-gke", "--via", "acme", "--cluster", REF)
    child = CloudAccount.objects.get(name="payments-gke")
    assert (child.labels, child.team) == ({"platform": "gke"}, "payments")
    scan("payments-gke")
    assert_cluster_scanned("payments-gke", "cis-gke-1.9")
    assert set(cluster.authenticated) == {"posture@acme-prod.iam.gserviceaccount.com"}
    assert ("container", f"/v1/{REF}") in gcp.calls  # clusters.get, for the endpoint and CA


def test_a_token_the_cluster_does_not_accept_is_denied(scanned: None, cluster: KubernetesEmulator) -> None:
    run("accounts", "add", "kubernetes", "--name", "payments-gke", "--via", "acme", "--cluster", REF)
    cluster.reviewers[0].tokens.clear()  # the project's identity lost its access to the cluster
    _, output = scan("payments-gke")
    assert_denied("payments-gke", output)
    assert Resource.objects.filter(account__name="acme").exists()
