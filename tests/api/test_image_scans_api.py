"""/api/v1/images/scans/: stored scan results listed, filtered, paged and read; reports imported by analysts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from posture.images.models import ImageScanResult
from posture.images.reports import MAX_REPORT_BYTES
from posture.images.store import store_scans
from posture.inventory.models import Resource
from tests.frontend.conftest import client_for
from tests.frontend.test_images_workloads import cluster, emulator  # noqa: F401  (fixtures)
from tests.images.conftest import MINER_DIGEST, WEB_DIGEST, ecr_scan, report
from tests.support.fingerprint import fingerprint

URL = "/api/v1/images/scans/"
# session, user, groups (session auth); the page of results with their accounts and importers
LIST_QUERIES = 4
# ...; the result; the workloads running its digest
DETAIL_QUERIES = 5


def upload(api, name: str, fmt: str = "auto"):
    return api.post(URL, {"report": SimpleUploadedFile(name, report(name)), "format": fmt})


@pytest.fixture
def stored(db, cluster, user_with_role):  # noqa: F811
    """The shop/web image imported from Trivy, the miner image from Grype, and an Inspector result of the cluster."""
    analyst = client_for(user_with_role("analyst"))
    assert upload(analyst, "web.trivy.json").status_code == 201
    assert upload(analyst, "miner.grype.json", "grype").status_code == 201
    from django.utils import timezone

    store_scans([ecr_scan(digest="sha256:" + "c" * 64)], timezone.now(), account=cluster)
    return cluster


def digests(body) -> list[tuple[str, str]]:
    return sorted((r["digest"], r["source"]) for r in body["results"])


def test_list_filters_and_marks_imports(stored, user_with_role):
    api = client_for(user_with_role("viewer"))
    body = api.get(URL).json()
    assert len(body["results"]) == 3
    web = next(r for r in body["results"] if r["source"] == "trivy")
    assert (web["imported"], web["account"], web["imported_by"]) == (True, None, "user-analyst")
    assert web["counts"]["CRITICAL"] == {"total": 3, "fixable": 2} and "vulnerabilities" not in web
    critical_fixable = api.get(URL, {"severity": "critical", "fixable": "true"}).json()
    assert digests(critical_fixable) == sorted([(WEB_DIGEST, "trivy"), ("sha256:" + "c" * 64, "inspector")])
    assert digests(api.get(URL, {"severity": "high", "fixable": "false"}).json()) == []
    only_unfixed = api.get(URL, {"severity": "medium", "fixable": "false"}).json()
    assert digests(only_unfixed) == [("sha256:" + "c" * 64, "inspector")]  # the Trivy report's are all fixable
    assert digests(api.get(URL, {"source": "grype"}).json()) == [(MINER_DIGEST, "grype")]
    assert digests(api.get(URL, {"imported": "false"}).json()) == [("sha256:" + "c" * 64, "inspector")]
    assert digests(api.get(URL, {"account": "demo-cluster"}).json()) == [("sha256:" + "c" * 64, "inspector")]
    running = api.get(URL, {"running": "true"}).json()
    assert digests(running) == [(MINER_DIGEST, "grype"), (WEB_DIGEST, "trivy")]
    assert digests(api.get(URL, {"running": "false"}).json()) == [("sha256:" + "c" * 64, "inspector")]
    assert digests(api.get(URL, {"q": "miner"}).json()) == [(MINER_DIGEST, "grype")]
    for bad in ({"severity": "severe"}, {"fixable": "maybe"}, {"source": "clair"}, {"registry": "x"}):
        answer = api.get(URL, bad)
        assert answer.status_code == 400 and list(answer.json()) == list(bad), bad


def test_cursor_paging(stored, user_with_role):
    api = client_for(user_with_role("viewer"))
    first = api.get(URL, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and not second["next"]
    assert api.get(URL, {"cursor": "junk"}).status_code == 400


def test_one_result_with_its_vulnerabilities_and_workloads(stored, user_with_role):
    api = client_for(user_with_role("viewer"))
    web = ImageScanResult.objects.get(digest=WEB_DIGEST)
    body = api.get(f"{URL}{web.pk}/").json()
    curl = next(v for v in body["vulnerabilities"] if v["id"] == "CVE-2023-38545")
    assert (curl["package"], curl["fixed_version"], curl["severity"]) == ("libcurl4", "7.88.1-10+deb12u4", "CRITICAL")
    workload = Resource.objects.get(uid="shop/Deployment/web")
    running = {w["uid"]: w for w in body["running"]}  # the emulator pins one digest for several images
    assert running["shop/Deployment/web"]["id"] == workload.pk
    assert running["shop/Deployment/web"]["containers"] == ["web-7d4b9c-00000/app", "web-7d4b9c-00001/app"]
    assert "legacy/Deployment/miner" not in running
    assert api.get(f"{URL}999999/").status_code == 404


def test_images_in_use_answer_which_run_a_critical_with_a_fix(stored, user_with_role):
    api = client_for(user_with_role("viewer"))
    body = api.get("/api/v1/images/", {"severity": "critical", "fixable": "true"}).json()
    repositories = {i["repository"]: i for i in body["results"]}  # the emulator runs one digest for these
    assert set(repositories) == {"acme/web", "acme/worker", "falcosecurity/falco"}
    vulns = repositories["acme/web"]["vulnerabilities"]
    assert (vulns["scanned"], vulns["sources"], vulns["imported"], vulns["digests"]) == (
        True,
        ["trivy"],
        True,
        [WEB_DIGEST],
    )
    assert vulns["counts"]["CRITICAL"] == {"total": 3, "fixable": 2}
    assert api.get("/api/v1/images/", {"severity": "x"}).status_code == 400
    web = Resource.objects.get(uid="shop/Deployment/web")
    running = api.get(f"/api/v1/workloads/{web.pk}/").json()["image_scans"]
    assert [(i["digest"], i["scan"]["source"], i["scan"]["counts"]["HIGH"]) for i in running] == [
        (WEB_DIGEST, "trivy", {"total": 2, "fixable": 1})
    ]


def test_imports_need_an_analyst_and_refuse_hostile_reports(db, user_with_role):
    viewer = client_for(user_with_role("viewer"))
    assert upload(viewer, "web.trivy.json").status_code == 403
    analyst = client_for(user_with_role("analyst"))
    before = fingerprint()
    hostile = [
        api_json(analyst, b"{"),
        api_json(analyst, b'{"ArtifactName": "x", "Results": []}'),
        api_json(analyst, b"[" * 50000 + b"]" * 50000),
        api_json(analyst, b" " * (MAX_REPORT_BYTES + 1)),
        api_json(analyst, report("web.trivy.json"), "?report_format=grype"),
        api_json(analyst, report("web.trivy.json"), "?report_format=xml"),
        analyst.post(URL, {"report": SimpleUploadedFile("r.json", b"\x00\xff" * 10)}),
        analyst.post(URL, {"format": "trivy"}),
        analyst.post(URL, {"report": SimpleUploadedFile("r.json", report("web.trivy.json")), "format": "sbom"}),
    ]
    for answer in hostile:
        assert answer.status_code == 400, answer.content
        assert set(answer.json()) <= {"report", "report_format", "format"}, answer.json()
    assert fingerprint() == before
    created = api_json(analyst, report("miner.grype.json"))
    assert created.status_code == 201 and created.json()["source"] == "grype" and created.json()["imported"]


def api_json(api, body: bytes, query: str = ""):
    return api.generic("POST", URL + query, body, content_type="application/json")


def test_query_counts_do_not_grow(stored, user_with_role, django_assert_num_queries):
    api = client_for(user_with_role("viewer"))
    web = ImageScanResult.objects.get(digest=WEB_DIGEST)
    for n in range(2):
        with django_assert_num_queries(LIST_QUERIES):
            assert api.get(URL).status_code == 200
        with django_assert_num_queries(DETAIL_QUERIES):
            assert api.get(f"{URL}{web.pk}/").status_code == 200
        from django.utils import timezone

        store_scans([ecr_scan(digest=f"sha256:{n}{i:063d}") for i in range(20)], timezone.now(), account=stored)
    assert ImageScanResult.objects.count() == 43
