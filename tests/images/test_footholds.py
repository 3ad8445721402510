"""The exposure page marks an internet-exposed running workload whose image has a critical fixable vulnerability."""

from __future__ import annotations

from posture.findings.exposure import exposure
from posture.images.imports import import_report
from tests.frontend.conftest import client_for, make_user  # noqa: F401  (fixture)
from tests.frontend.test_images_workloads import add_cluster, emulator  # noqa: F401  (fixture)
from tests.images.conftest import report

# session, user, groups; exposure findings; entry points; image findings; Services and Ingresses near them
PAGE_QUERIES = 7


def reached(found) -> dict[str, list[str]]:
    return {r.uid: [w["uid"] for w in r.footholds] for r in found.resources if r.footholds}


def test_a_foothold_behind_the_ingress(db, emulator, tmp_path, make_user, django_assert_num_queries):  # noqa: F811
    viewer = make_user("viewer")
    add_cluster(emulator, tmp_path, "before")
    assert reached(exposure(viewer)) == {}  # nothing scanned: no foothold
    import_report(report("web.trivy.json"))
    add_cluster(emulator, tmp_path, "demo-cluster")
    found = reached(exposure(viewer))
    assert found["shop/Ingress/web"] == ["shop/Deployment/web"]
    web = next(r for r in exposure(viewer).resources if r.uid == "shop/Ingress/web" and r.footholds)
    assert web.footholds[0]["cves"] == ["CVE-2023-38545", "CVE-2024-45490"]
    client = client_for(viewer)
    with django_assert_num_queries(PAGE_QUERIES):
        html = client.get("/exposure/").content.decode()
    assert 'class="foothold"' in html and "CVE-2023-38545" in html
    api = client.get("/api/v1/exposure/").json()["results"]
    assert any(f["uid"] == "shop/Deployment/web" for r in api for f in r["footholds"])
