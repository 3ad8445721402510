"""GET /api/v1/images/ and /api/v1/workloads/{id}/: the pages' data as JSON, in fixed query counts."""

from __future__ import annotations

from emulators.kubernetes.estate import DIGEST
from posture.inventory.models import Resource
from posture.scans.pipeline import create_scan, run_scan
from tests.frontend.conftest import client_for
from tests.frontend.test_images_workloads import cluster, emulator, estate_with_routes  # noqa: F401  (fixtures)

# session, user, groups (session auth); failing counts, workloads, ECR repositories; scan results of their digests
IMAGES_QUERIES = 7
# ...; the workload with its account; its namespace's neighbours; its findings; scan results of its digests
WORKLOAD_QUERIES = 7


def test_images_list_and_search(cluster, user_with_role):  # noqa: F811
    api = client_for(user_with_role("viewer"))
    body = api.get("/api/v1/images/").json()
    assert body["count"] == 6 == len(body["results"])
    miner = next(i for i in body["results"] if i["repository"] == "miner")
    assert miner["registry"] == "evil.example.com" and miner["tag"] == "latest" and miner["digest"] == ""
    assert miner["failing"] > 5 and miner["running_since"] and miner["pushed_at"] is None
    assert [(w["account"], w["kind"], w["namespace"], w["name"]) for w in miner["workloads"]] == [
        ("demo-cluster", "Deployment", "legacy", "miner")
    ]
    found = api.get("/api/v1/images/", {"q": DIGEST[8:20]}).json()
    assert sorted(i["repository"] for i in found["results"]) == ["acme/web", "acme/worker", "falcosecurity/falco"]
    assert all(i["tag"] == "" for i in found["results"])
    bad = api.get("/api/v1/images/", {"registry": "x"})
    assert bad.status_code == 400 and bad.json() == {"registry": ["unknown filter"]}


def test_one_workload(cluster, user_with_role):  # noqa: F811
    api = client_for(user_with_role("viewer"))
    web = Resource.objects.get(account=cluster, uid="shop/Deployment/web")
    body = api.get(f"/api/v1/workloads/{web.pk}/").json()
    assert (body["kind"], body["namespace"], body["name"], body["service_account"]) == (
        "Deployment",
        "shop",
        "web",
        "web",
    )
    assert [c["image"] for c in body["containers"]] == [f"ghcr.io/acme/web{DIGEST}"]
    assert [s["name"] for s in body["services"]] == ["web"] and [i["name"] for i in body["ingresses"]] == ["web"]
    assert len(body["pods"]) == 2 and {f["status"] for f in body["findings"]} >= {"PASS"}
    service = Resource.objects.get(account=cluster, uid="shop/Service/web")
    for missing in (service.pk, 99999999, "abc", 2**70):
        assert api.get(f"/api/v1/workloads/{missing}/").status_code == 404, missing


def test_api_query_counts_do_not_grow(cluster, emulator, user_with_role, django_assert_num_queries):  # noqa: F811
    api = client_for(user_with_role("viewer"))
    web = Resource.objects.get(account=cluster, uid="shop/Deployment/web")
    for _ in range(2):
        with django_assert_num_queries(IMAGES_QUERIES):
            assert api.get("/api/v1/images/").status_code == 200
        with django_assert_num_queries(WORKLOAD_QUERIES):
            assert api.get(f"/api/v1/workloads/{web.pk}/").status_code == 200
        emulator.estate = estate_with_routes(extra_deployments=20)
        run_scan(create_scan(cluster).pk)
    assert api.get("/api/v1/images/").json()["count"] == 26
