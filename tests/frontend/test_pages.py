"""Every page: renders for each role, needs a login, and runs a fixed number of queries whatever the data size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from posture.findings.models import Finding
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc
from tests.support.workloads import stored_workload

# (url, queries): the number is what the page runs for a signed-in admin, at any data size.
PAGES = [
    ("/", 15),  # compliance: the latest scans, attestations, scores, snapshots, then the trend; open paths
    ("/findings/", 6),  # session, user, groups; accounts for the form; the page of rows; the total (capped)
    ("/findings/?status=all&muted=any&category=exposure&q=bucket", 6),
    ("/findings/?group=control", 5),
    ("/findings/?group=resource&status=FAIL", 5),
    ("/compliance/", 9),
    ("/compliance/test-benchmark-1.0/", 9),
    ("/compliance/test-benchmark-1.0/controls/1.1/", 12),  # + its status (summary), attestations, accounts for the form
    # the report: + the latest scans, the failing resources of failing controls (attestations: none here)
    ("/compliance/test-benchmark-1.0/report/", 9),
    # session, user, groups; attestations, scores carried into the period, scores in it; latest scans,
    # attestations, their scores (rollup); the scope picker's accounts and teams (+ account names by account)
    ("/compliance/test-benchmark-1.0/scores/?by=team&days=90", 11),
    ("/compliance/test-benchmark-1.0/scores/?by=account&days=30", 12),
    # session, user, groups; attestations, scores at each date, the changed controls' events; the picker's two
    ("/compliance/test-benchmark-1.0/movement/?from=2026-01-01", 9),
    ("/clusters/", 8),  # ... and one for the clusters' own control planes and node groups
    ("/images/", 6),  # session, user, groups; the workloads' failing counts, the workloads, ECR repositories
    ("/workloads/{workload}/", 6),  # ...; the workload, its namespace's Services/Ingresses/accounts, findings
    ("/exposure/", 6),  # session, user, groups; the failing exposure findings; the entry points; image findings
    ("/paths/", 7),  # session, user, groups; the count, the paths (with their accounts), the form's accounts, the build
    # session, user, groups; the latest scan, the previous one, its changes, the next change after it of
    # those resources, the findings that moved, the baseline, the scan picker
    ("/drift/", 10),
    ("/drift/?against=baseline&provider=testcloud&kind=modified", 11),  # + looking for a baseline: none
    ("/scans/", 6),
    ("/scans/{scan}/", 4),
    ("/accounts/", 6),
    ("/accounts/new/", 3),
    ("/accounts/{account}/", 5),  # + its latest scan
    ("/settings/", 12),  # + webhooks, Jira connections (their accounts when there are some), the delivery log
    ("/findings/{finding}/", 7),  # + its tickets; with none, the Jira connections that could open one
]


def resolve(url: str, account) -> str:
    finding = Finding.objects.filter(account=account).order_by("id").first()
    scan = account.scans.order_by("-id").first()
    workload = stored_workload(account).pk if "{workload}" in url else None
    return url.format(account=account.pk, finding=finding.pk, scan=scan.pk, workload=workload)


def grow(account, estate, buckets: int = 80) -> None:
    doc = estate_doc()
    for i in range(buckets):
        doc["resources"].append(
            {
                "service": "storage",
                "region": "r1",
                "type": "testcloud.storage.bucket",
                "uid": f"bulk-{i:03d}",
                "config": {"public": i % 3 == 0},
            }
        )
    estate.write(doc)
    run_scan(create_scan(account).pk)


@pytest.mark.parametrize(("url", "queries"), PAGES)
def test_page_query_count_is_fixed(url, queries, scanned, admin, estate, django_assert_num_queries):
    target = resolve(url, scanned)
    with django_assert_num_queries(queries):
        response = admin.get(target)
    assert response.status_code == 200
    grow(scanned, estate)
    target = resolve(url, scanned)
    with django_assert_num_queries(queries):
        response = admin.get(target)
    assert response.status_code == 200


@pytest.mark.parametrize(("url", "queries"), PAGES)
def test_viewer_reads_every_page(url, queries, scanned, viewer):
    response = viewer.get(resolve(url, scanned))
    if url == "/accounts/new/":
        assert response.status_code == 403  # adding accounts is for admins
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(("url", "queries"), PAGES)
def test_every_page_needs_a_login(url, queries, scanned):
    response = Client().get(resolve(url, scanned))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_htmx_is_served_from_the_installed_package_without_login(db):
    response = Client().get("/vendor/htmx.min.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"htmx" in response.content[:200]
    assert "max-age=86400" in response["Cache-Control"]


def test_pages_carry_no_inline_script_or_handler(scanned, admin):
    """A CSP without 'unsafe-inline' must not break any page."""
    for url, _ in PAGES:
        html = admin.get(resolve(url, scanned)).content.decode()
        assert "<script>" not in html and "<script " not in html.replace('<script src="', "")
        for handler in ("onclick=", "onchange=", "onload=", "onsubmit=", ' style="'):
            assert handler not in html, (url, handler)


def test_empty_install_shows_a_welcome_not_an_error(admin):
    for url in ("/", "/findings/", "/compliance/", "/clusters/", "/drift/", "/scans/", "/accounts/", "/settings/"):
        response = admin.get(url)
        assert response.status_code == 200, url
    assert b"No accounts yet" in admin.get("/").content
    assert b"No finished scans yet" in admin.get("/drift/").content


def test_unknown_things_are_404_pages_with_a_way_back(scanned, viewer):
    for url in ("/findings/999999/", "/compliance/no-such-framework/", "/compliance/test-benchmark-1.0/controls/9.9/"):
        response = viewer.get(url)
        assert response.status_code == 404
    assert b"Back to the overview" in viewer.get("/scans/999999/").content


def test_query_count_capture_sanity(scanned, admin):
    """The fixed counts above are real: the findings page does read the rows."""
    with CaptureQueriesContext(connection) as ctx:
        admin.get("/findings/")
    assert any("findings_finding" in q["sql"] for q in ctx.captured_queries)
