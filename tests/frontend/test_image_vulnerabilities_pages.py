"""The images page, the image page, the workload page and the finding page show the vulnerabilities of what runs."""

from __future__ import annotations

import pytest

from posture.findings.models import Finding
from posture.images.imports import import_report
from posture.images.models import ImageScanResult
from posture.inventory.models import Resource
from posture.scans.pipeline import create_scan, run_scan
from tests.frontend.test_images_workloads import cluster, emulator  # noqa: F401  (fixtures)
from tests.images.conftest import MINER_DIGEST, WEB_DIGEST, report

# session, user, groups; failing counts, workloads, ECR repositories; scan results of their digests
IMAGES_QUERIES = 7
# session, user, groups; its workloads; its results; the accounts the user may see
IMAGE_QUERIES = 6


@pytest.fixture
def imported(cluster):  # noqa: F811
    """The cluster scanned again after a Trivy report of the shop/web digest was imported."""
    import_report(report("web.trivy.json"))
    assert run_scan(create_scan(cluster).pk).state == "succeeded"
    return cluster


def repositories(response) -> set[str]:
    return {row.use.ref.repository for row in response.context["images"] if row.use.ref}


def test_images_page_answers_which_run_a_critical_with_a_fix(imported, viewer):
    everything = viewer.get("/images/")
    assert len(everything.context["images"]) == 6
    html = everything.content.decode()
    assert 'id="critical-fixable"' in html and "imported" in html and "3 crit · 2 fix" in html
    critical = viewer.get("/images/", {"severity": "critical", "fixable": "1"})
    assert repositories(critical) == {"acme/web", "acme/worker", "falcosecurity/falco"}  # one digest, three names
    assert f'href="/images/{WEB_DIGEST}/"' in critical.content.decode()
    assert "/workloads/" in critical.content.decode()
    assert repositories(viewer.get("/images/", {"severity": "low", "fixable": "0"})) == set()
    junk = viewer.get("/images/", {"severity": "<script>", "fixable": "maybe"})
    assert junk.status_code == 200 and len(junk.context["images"]) == 6  # values the form does not offer: ignored


def test_image_page_lists_every_vulnerability_and_who_runs_it(imported, viewer):
    page = viewer.get(f"/images/{WEB_DIGEST}/")
    html = page.content.decode()
    assert page.status_code == 200 and "CVE-2023-38545" in html and "7.88.1-10+deb12u4" in html
    assert "Trivy (imported)" in html and "shop/Deployment/web" in html
    assert viewer.get(f"/images/{MINER_DIGEST}/").status_code == 200  # runs, never scanned: says so
    for bad in ("sha256:" + "0" * 64, "nothex", "sha256:" + "a" * 200):
        assert viewer.get(f"/images/{bad}/").status_code == 404, bad


def test_workload_and_finding_pages_show_the_cves(imported, viewer):
    web = Resource.objects.get(account=imported, uid="shop/Deployment/web")
    html = viewer.get(f"/workloads/{web.pk}/").content.decode()
    assert 'id="workload-vulns"' in html and "3 crit · 2 fix" in html and "trivy" in html and "imported" in html
    miner = Resource.objects.get(account=imported, uid="legacy/Deployment/miner")
    assert "not scanned" in viewer.get(f"/workloads/{miner.pk}/").content.decode()
    finding = Finding.objects.get(
        rule_id="kubernetes.image_vulnerabilities.no_fixable_critical_or_high", resource_uid="shop/Deployment/web"
    )
    detail = viewer.get(f"/findings/{finding.pk}/").content.decode()
    assert 'class="table finding-cves"' in detail
    for text in ("CVE-2023-38545", "libcurl4", "7.88.1-10+deb12u4", "CVE-2024-6387", "1:9.2p1-2+deb12u3"):
        assert text in detail, text


def test_page_query_counts_do_not_grow(imported, viewer, django_assert_num_queries):
    for n in range(2):
        with django_assert_num_queries(IMAGES_QUERIES):
            assert viewer.get("/images/", {"severity": "critical", "fixable": "1"}).status_code == 200
        with django_assert_num_queries(IMAGE_QUERIES):
            assert viewer.get(f"/images/{WEB_DIGEST}/").status_code == 200
        row = ImageScanResult.objects.get(digest=WEB_DIGEST, source="trivy")
        row.pk, row.source = None, ("grype", "inspector")[n]
        row.save()
