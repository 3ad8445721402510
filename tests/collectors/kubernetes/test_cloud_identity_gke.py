"""GKE end to end: a Google Cloud project on the emulator -> scan -> `accounts clusters` -> add via -> scan inside.

The same path is walked through the REST API and the clusters page at the end.

The GKE cluster record's endpoint and CA point at the Kubernetes emulator, which accepts the project
account's own access token (as GKE accepts a Google OAuth token).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User

import collectors.gcp  # noqa: F401  (registers the provider and collectors)
from emulators.gcp import GcpEmulator, demo_estate
from emulators.gcp.estate_gke import point_cluster
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.cloud_auth import StaticTokens
from emulators.kubernetes.tls import TlsMaterial
from posture.inventory.models import CloudAccount, Resource
from posture.scans.pipeline import run_scan
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


# The same path through the REST API and the clusters page.


def post(client, body: dict):
    return client.post("/api/v1/accounts/", body, content_type="application/json")


def test_a_cluster_is_listed_added_via_its_cloud_account_and_scanned_through_the_api(admin_client, scanned) -> None:
    acme = CloudAccount.objects.get(name="acme")
    listed = admin_client.get(f"/api/v1/accounts/{acme.pk}/clusters/")
    assert listed.status_code == 200
    assert [(c["ref"], c["platform"], c["scanned_as"]) for c in listed.json()] == [(REF, "gke", [])]
    created = post(admin_client, {"provider": "kubernetes", "name": "payments-gke", "via": "acme", "via_cluster": REF})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["provider"], body["via"], body["via_cluster"], body["team"]) == (
        "kubernetes",
        "acme",
        REF,
        "payments",
    )
    assert body["has_credentials"] is False and "credentials" not in body
    assert admin_client.get(f"/api/v1/accounts/{acme.pk}/clusters/").json()[0]["scanned_as"] == ["payments-gke"]
    started = admin_client.post("/api/v1/scans/", {"account": "payments-gke"}, content_type="application/json")
    assert started.status_code == 202, started.content
    again = admin_client.post("/api/v1/scans/", {"account": "payments-gke"}, content_type="application/json")
    assert again.status_code == 409 and "already has scan" in again.json()["detail"]
    run_scan(started.json()["id"])
    assert_cluster_scanned("payments-gke", "cis-gke-1.9")
    child = CloudAccount.objects.get(name="payments-gke")
    moved = admin_client.patch(f"/api/v1/accounts/{child.pk}/", {"via_cluster": "x"}, content_type="application/json")
    assert moved.status_code == 400
    refused = admin_client.delete(f"/api/v1/accounts/{acme.pk}/")
    assert refused.status_code == 400 and "payments-gke" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "kubernetes", "name": "k", "via": "acme"}, "via_cluster"),
        ({"provider": "kubernetes", "name": "k", "via_cluster": REF}, "via_cluster"),
        ({"provider": "aws", "name": "k", "via": "acme", "via_cluster": REF}, "provider"),
        (
            {
                "provider": "kubernetes",
                "name": "k",
                "via": "acme",
                "via_cluster": REF,
                "credentials": {"kubeconfig": "/x"},
            },
            "credentials",
        ),
        ({"provider": "kubernetes", "name": "k", "via": "nobody", "via_cluster": REF}, "via"),
        (
            {
                "provider": "kubernetes",
                "name": "k",
                "via": "acme",
                "via_cluster": "projects/p/locations/l/clusters/other",
            },
            "via_cluster",
        ),
        ({"provider": "kubernetes", "name": "k", "via": "acme", "via_cluster": "not a reference"}, "via_cluster"),
    ],
)
def test_bad_via_input_is_a_400_naming_it_and_writes_nothing(admin_client, scanned, body, field) -> None:
    before = CloudAccount.objects.count()
    response = post(admin_client, body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert CloudAccount.objects.count() == before


def test_a_non_cloud_account_has_no_clusters(admin_client, scanned) -> None:
    run("accounts", "add", "kubernetes", "--name", "plain", "--via", "acme", "--cluster", REF)
    plain = CloudAccount.objects.get(name="plain")
    assert admin_client.get(f"/api/v1/accounts/{plain.pk}/clusters/").json() == []
    created = post(admin_client, {"provider": "kubernetes", "name": "k2", "via": "plain", "via_cluster": REF})
    assert created.status_code == 400 and "not a cloud account" in created.json()["via"][0]


def test_the_clusters_page_scans_inside_a_managed_cluster_with_one_click(admin_client, scanned) -> None:
    page = admin_client.get("/clusters/").content.decode()
    assert "Scan inside with acme's identity" in page and 'value="payments-gke"' in page
    done = admin_client.post(
        "/clusters/scan-inside/",
        {"via": CloudAccount.objects.get(name="acme").pk, "cluster": f"//container.googleapis.com/{REF}", "name": "p"},
        follow=True,
    )
    assert "Added p (inside " + REF in done.content.decode()
    child = CloudAccount.objects.get(name="p")
    assert (child.via.name, child.via_cluster, child.labels) == ("acme", REF, {"platform": "gke"})
    run_scan(child.scans.get().pk)
    assert_cluster_scanned("p", "cis-gke-1.9")
    page = admin_client.get("/clusters/").content.decode()
    assert "scanned inside as p" in page and "Scan inside with" not in page
    again = admin_client.post("/clusters/scan-inside/", {"via": child.via.pk, "cluster": REF, "name": "q"}, follow=True)
    assert "Not added: cluster " in again.content.decode() and not CloudAccount.objects.filter(name="q").exists()


def test_only_admins_see_and_use_the_scan_inside_button(client, scanned) -> None:
    analyst = User.objects.create_user("analyst-api", password="a-long-test-password")
    analyst.groups.add(Group.objects.get(name="analyst"), Group.objects.get_or_create(name="team:payments")[0])
    client.force_login(analyst)
    page = client.get("/clusters/").content.decode()
    assert "an admin can scan it with acme" in page and "<form" not in page.split("stack-card")[1]
    acme = CloudAccount.objects.get(name="acme")
    refused = client.post("/clusters/scan-inside/", {"via": acme.pk, "cluster": REF, "name": "p"})
    assert refused.status_code == 403 and not CloudAccount.objects.filter(name="p").exists()
