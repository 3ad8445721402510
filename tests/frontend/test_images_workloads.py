"""The images page and the workload page, over a cluster scanned from the Kubernetes emulator's demo estate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import collectors.kubernetes  # noqa: F401  (registers the provider)
from emulators.kubernetes import KubernetesEmulator, demo_estate
from emulators.kubernetes.estate import DIGEST, Estate
from emulators.kubernetes.scenarios import hardened_spec
from posture.inventory.accounts import AccountInput, create_account
from posture.inventory.models import CloudAccount, Resource
from posture.scans.pipeline import create_scan, run_scan
from tests.frontend.conftest import client_for
from tests.frontend.test_team_scoping import person


def estate_with_routes(extra_deployments: int = 0) -> Estate:
    """The demo cluster, with the shop Ingress routing to the web Service, and ``extra_deployments`` more."""
    e = demo_estate()
    ingress = next(i for i in e.objects("Ingress") if i["metadata"]["name"] == "web")
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    ingress["spec"]["rules"][0]["http"] = {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}
    for n in range(extra_deployments):
        e.deployment("grow", f"app-{n:03d}", hardened_spec(f"ghcr.io/acme/app-{n:03d}:1.{n}", "default"), replicas=1)
    return e


@pytest.fixture
def emulator() -> Iterator[KubernetesEmulator]:
    with KubernetesEmulator(estate_with_routes()) as emu:
        yield emu


def add_cluster(emulator: KubernetesEmulator, tmp_path: Path, name: str, team: str = "") -> CloudAccount:
    kubeconfig = emulator.write_kubeconfig(tmp_path / f"{name}.kubeconfig")
    account = create_account(
        AccountInput(
            provider="kubernetes",
            name=name,
            regions=[],
            credentials={"kubeconfig_content": kubeconfig.read_text()},
            team=team,
        )
    )
    scan = run_scan(create_scan(account).pk)
    assert scan.state == "succeeded", (scan.message, scan.errors)
    return account


@pytest.fixture
def cluster(db, emulator, tmp_path) -> CloudAccount:
    return add_cluster(emulator, tmp_path, "demo-cluster")


def workload(account: CloudAccount, uid: str) -> Resource:
    return Resource.objects.get(account=account, uid=uid)


def test_the_images_page_lists_what_runs_where(cluster, viewer):
    response = viewer.get("/images/")
    assert response.status_code == 200
    rows = {str(i.ref or i.image): i for i in response.context["images"]}
    assert set(rows) == {
        f"ghcr.io/acme/web{DIGEST}",
        "evil.example.com/miner:latest",
        f"docker.io/falcosecurity/falco{DIGEST}",
        "docker.io/library/busybox:latest",
        "docker.io/library/postgres:16",
        f"quay.io/acme/worker{DIGEST}",
    }
    miner = rows["evil.example.com/miner:latest"]
    assert [(w.kind, w.namespace, w.name) for w in miner.workloads] == [("Deployment", "legacy", "miner")]
    assert miner.failing > 5 and miner.running_since  # the neglected one, running for 90 days
    assert rows[f"ghcr.io/acme/web{DIGEST}"].ref.tag == "" and rows[f"ghcr.io/acme/web{DIGEST}"].ref.digest
    assert rows["docker.io/library/postgres:16"].workloads[0].kind == "CronJob"
    assert response.context["images"][0] is max(rows.values(), key=lambda i: i.failing)  # most failing first
    html = response.content.decode()
    web = workload(cluster, "shop/Deployment/web")
    assert f'href="/workloads/{web.pk}/"' in html and "evil.example.com" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("busybox", {"docker.io/library/busybox:latest"}),
        (
            "docker.io",
            {"docker.io/library/busybox:latest", "docker.io/library/postgres:16", "docker.io/falcosecurity/falco"},
        ),
        (":16", {"docker.io/library/postgres:16"}),
        ("ACME", {"ghcr.io/acme/web", "quay.io/acme/worker"}),
        (DIGEST[8:20], {"ghcr.io/acme/web", "quay.io/acme/worker", "docker.io/falcosecurity/falco"}),
        ("nothing-runs-this", set()),
    ],
)
def test_images_are_found_by_registry_repository_tag_or_digest(cluster, viewer, query, expected):
    response = viewer.get("/images/", {"q": query})
    found = {str(i.ref).split("@")[0] for i in response.context["images"]}
    assert found == expected
    if not expected:
        assert "No image matches" in response.content.decode()


def test_the_workload_page_shows_containers_identity_exposure_and_findings(cluster, viewer):
    web = workload(cluster, "shop/Deployment/web")
    html = viewer.get(f"/workloads/{web.pk}/").content.decode()
    assert "Deployment shop/web" in html and f"ghcr.io/acme/web{DIGEST}" in html
    assert "shop/web" in html and "token not mounted by default" in html  # its service account
    assert 'Service <span class="mono">web</span>' in html and "ClusterIP" in html
    assert 'Ingress <span class="mono">web</span>' in html and "shop.example.com" in html  # via the Service

    miner = workload(cluster, "legacy/Deployment/miner")
    response = viewer.get(f"/workloads/{miner.pk}/")
    view = response.context["w"]
    html = response.content.decode()
    assert [c.image for c in view.containers] == ["evil.example.com/miner:latest"]
    assert view.service_account == "default" and [s.name for s in view.services] == ["miner-lb"]
    assert view.ingresses == []  # the miner Ingress names no backend
    assert "LoadBalancer" in html and "node 30333" in html
    assert view.failing > 5 and view.findings[0].status == "FAIL"
    assert f'href="/findings/{view.findings[0].pk}/"' in html

    debug = workload(cluster, "default/Pod/debug")
    view = viewer.get(f"/workloads/{debug.pk}/").context["w"]
    assert view.services == [] and view.containers[0].ref.repository == "library/busybox"


def test_only_workloads_have_a_workload_page(cluster, viewer):
    service = Resource.objects.get(account=cluster, uid="shop/Service/web")
    assert viewer.get(f"/workloads/{service.pk}/").status_code == 404
    assert viewer.get("/workloads/99999999/").status_code == 404


def test_images_and_workloads_of_another_team_are_hidden(db, emulator, tmp_path):
    red = add_cluster(emulator, tmp_path, "red-cluster", team="red")
    add_cluster(emulator, tmp_path, "blue-cluster", team="blue")
    viewer = client_for(person("viewer", "red"))
    html = viewer.get("/images/").content.decode()
    assert "red-cluster" in html and "blue-cluster" not in html
    blue_web = Resource.objects.get(account__name="blue-cluster", uid="shop/Deployment/web")
    assert viewer.get(f"/workloads/{blue_web.pk}/").status_code == 404
    assert viewer.get(f"/workloads/{workload(red, 'shop/Deployment/web').pk}/").status_code == 200
    html = client_for(person("admin")).get("/images/").content.decode()
    assert "red-cluster" in html and "blue-cluster" in html


# session, user, groups; the workloads' failing counts, the workloads, the ECR repositories; the scan results of
# the digests they run
IMAGES_QUERIES = 7
# session, user, groups; the workload and its account; its namespace's Services, Ingresses and service
# accounts; its findings; the scan results of the digests it runs
WORKLOAD_QUERIES = 7


def test_query_counts_do_not_grow_with_the_estate(cluster, emulator, admin, django_assert_num_queries):
    web = workload(cluster, "shop/Deployment/web")
    with django_assert_num_queries(IMAGES_QUERIES):
        assert admin.get("/images/?q=acme").status_code == 200
    with django_assert_num_queries(WORKLOAD_QUERIES):
        assert admin.get(f"/workloads/{web.pk}/").status_code == 200
    emulator.estate = estate_with_routes(extra_deployments=30)
    run_scan(create_scan(cluster).pk)
    with django_assert_num_queries(IMAGES_QUERIES):
        response = admin.get("/images/")
    assert response.context["total"] == 36
    with django_assert_num_queries(WORKLOAD_QUERIES):
        assert admin.get(f"/workloads/{web.pk}/").status_code == 200
