"""The compliance report: its data (every number from the summary, exactly the failing resources the score
counted) and its PDF (every failing resource, the score, attestations, partial scans, who and when)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream

from posture.findings.compliance import summary
from posture.findings.models import Attestation, Finding, MuteRule
from posture.findings.report import build_report
from posture.findings.report_pdf import render_pdf, safe
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import catalog
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc
from tests.frontend.conftest import client_for

FW = "test-benchmark-1.0"
PDF = f"/compliance/{FW}/report.pdf"
ODD_NAME = "b-名前-ünï-🙂\u202e"  # characters the font lacks, and a right-to-left override


def squash(text: str) -> str:
    return "".join(text.split())


def pdf_text(content: bytes) -> str:
    """The PDF's text without white space, so that a wrapped resource id or note reads whole."""
    reader = PdfReader(io.BytesIO(content))
    return squash("".join(page.extract_text() for page in reader.pages))


def bucket(uid: str, public: bool, region: str = "r1", **extra) -> dict:
    return {
        "service": "storage",
        "region": region,
        "type": "testcloud.storage.bucket",
        "uid": uid,
        **extra,
        "config": {"public": public},
    }


@pytest.fixture
def audited(account, estate, make_user):
    """A partial latest scan (storage in r2 not collected), failing buckets (one oddly named), a muted one,
    and a passing attestation of the manual control 1.2."""
    doc = estate_doc(fail=[{"service": "storage", "region": "r2", "error": "AccessDenied: r2 is locked"}])
    doc["resources"] += [bucket("b-odd", True, name=ODD_NAME), bucket("b-muted", True)]
    estate.write(doc)
    MuteRule.objects.create(
        account=account,
        rule_id="testcloud.storage.bucket_not_public",
        resource_pattern="b-muted",
        reason="accepted risk",
    )
    run_scan(create_scan(account).pk)
    author = make_user("analyst", "auditor-alice")
    Attestation.objects.create(
        framework_id=FW,
        control_id="1.2",
        result="pass",
        note="Quarterly review done by the storage team",
        evidence_url="https://wiki.example.test/reviews/q3",
        expires_at=timezone.now() + timedelta(days=90),
        created_by=author,
        created_at=timezone.now() - timedelta(minutes=1),
    )
    return account


def failing_uids(account) -> set[str]:
    rules = {r for c in catalog().get(FW).controls for r in c.rules}
    rows = Finding.objects.filter(account=account, status="FAIL", muted=False, rule_id__in=rules)
    return set(rows.values_list("resource_uid", flat=True))


def listed(report: dict) -> list[dict]:
    return [r for s in report["sections"] for c in s["controls"] for r in c["failing_resources"]]


def test_the_report_lists_exactly_the_resources_the_score_counts(audited):
    user = User.objects.get(username="auditor-alice")
    accounts = CloudAccount.objects.all()
    report = build_report(catalog().get(FW), accounts, user)
    s = summary(catalog().get(FW), accounts)
    assert report["summary"]["score"] == s["score"] and report["summary"]["resources_failed"] == s["resources_failed"]
    assert {r["resource_uid"] for r in listed(report)} == failing_uids(audited) == {"b-public", "b-odd", "u-alice"}
    assert report["resources_listed"] == len({r["resource_id"] for r in listed(report)}) == s["resources_failed"]
    assert "b-muted" not in {r["resource_uid"] for r in listed(report)}
    assert report["generated_by"] == "auditor-alice"
    [attestation] = report["attestations"]
    assert attestation["control_id"] == "1.2" and attestation["created_by"] == "auditor-alice"
    [scan] = report["scans"]
    assert scan["state"] == "partial" and "the call failed (RuntimeError)" in scan["not_collected"][0]["error"]


def test_a_finding_the_latest_scan_did_not_see_is_not_listed(audited, estate):
    """A partial scan keeps the failing findings of what it could not collect; the score leaves them out."""
    doc = estate_doc(mfa=True, fail=[{"service": "storage", "error": "throttled"}])
    estate.write(doc)
    run_scan(create_scan(audited).pk)
    report = build_report(catalog().get(FW), CloudAccount.objects.all(), None)
    assert Finding.objects.filter(resource_uid="b-public", status="FAIL").exists()  # kept, not seen
    assert listed(report) == [] and report["summary"]["resources_failed"] == 0
    assert report["generated_by"] == "command line"


def test_the_pdf_lists_every_failing_resource_the_score_attestations_and_the_partial_scan(audited, viewer):
    response = viewer.get(f"{PDF}?account=test-account")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{FW}-account-test-account-')
    text = pdf_text(response.content)
    s = summary(catalog().get(FW), CloudAccount.objects.all())
    scan_id = audited.scans.order_by("-id").values_list("id", flat=True).first()  # ids are not reset on PostgreSQL
    for uid in failing_uids(audited):
        assert uid in text, uid
    assert safe(ODD_NAME) in text and "\\U0001f642" in text  # drawn where it can be, escaped where not
    for needle in (
        f"Score (controls passed ÷ controls evaluated or attested) {s['score']}%",
        f"Failing resources (distinct, unmuted) {s['resources_failed']}",
        "Failing resources of 1.1 Buckets are private (2)",
        "Quarterly review done by the storage team Evidence: https://wiki.example.test/reviews/q3",
        "auditor-alice",
        f"test-account — #{scan_id}",
        f"Not collected by scan #{scan_id} of test-account (partial)",
        "storage r2 error the call failed (RuntimeError)",
        "Scope account test-account",
        "Produced by user-viewer",
    ):
        assert squash(needle) in text, needle


def test_the_page_shows_the_same_report_with_a_download_link(audited, viewer):
    html = viewer.get(f"/compliance/{FW}/report/?account=test-account").content.decode()
    assert f'href="{PDF}?account=test-account"' in html
    for text in ("b-public", "u-alice", "Quarterly review done", "the call failed (RuntimeError)", "by user-viewer"):
        assert text in html, text
    assert "b-muted" not in html


def test_another_teams_accounts_never_reach_the_pdf(estate, make_user):
    from tests.conftest import scanned_team_accounts

    scanned_team_accounts(estate)
    user = make_user("viewer", "red-viewer")
    user.groups.create(name="team:red")
    client = client_for(user)
    text = pdf_text(client.get(PDF).content)
    assert "acct-red" in text and "acct-shared" in text and "acct-blue" not in text
    hidden = pdf_text(client.get(f"{PDF}?account=acct-blue").content)
    assert squash("No account named 'acct-blue'.") in hidden and squash("No account in scope has") in hidden
    assert squash("Accounts in scope 0") in hidden and "acct-red" not in hidden


def test_safe_text_never_crashes_on_a_name(db):
    assert safe("plain ünï Ωμέγα Привет") == "plain ünï Ωμέγα Привет"
    assert safe("a\x00b\u200bc名") == "a\\u0000b\\u200bc\\u540d"
    assert safe(None) == ""
    assert render_pdf_of_names(["\udcff", "\x00" * 50, "x" * 3000]).startswith(b"%PDF")


def render_pdf_of_names(names: list[str]) -> bytes:
    rows = [
        {
            "resource_id": i,
            "resource_uid": n,
            "resource__name": n,
            "account__name": n,
            "resource__type": "t",
            "resource__region": "",
            "rule_id": "r",
        }
        for i, n in enumerate(names)
    ]
    control = {
        "id": "1",
        "title": "t",
        "status": "fail",
        "status_label": "Fail",
        "passed": 0,
        "failed": len(rows),
        "failing_resources": rows,
        "attested_by": [],
    }
    report = {
        "framework": {"id": "f", "title": "F", "version": "1"},
        "scope": "s",
        "generated_at": timezone.now(),
        "generated_by": "me",
        "scans": [],
        "attestations": [],
        "summary": summary(catalog().get(FW), CloudAccount.objects.none()),
        "sections": [{"id": "1", "title": "S", "controls": [control]}],
    }
    return render_pdf(report)


def graphics_states_balance(content: bytes) -> bool:
    """Every page restores (Q) only graphics states it saved (q), and saves none it leaves open."""
    reader = PdfReader(io.BytesIO(content))
    for page in reader.pages:
        depth = 0
        for _, operator in ContentStream(page.get_contents(), reader).operations:
            depth += {b"q": 1, b"Q": -1}.get(operator, 0)
            if depth < 0:
                return False
        if depth:
            return False
    return True


def test_two_thousand_failing_resources_are_all_listed_over_many_pages(account, estate, viewer):
    """(Its time is measured by benchmarks/report_pdf.py, not asserted here.)"""
    doc = estate_doc()
    doc["resources"] += [bucket(f"arn:testcloud:storage:r1:bulk-bucket-{i:05d}", True) for i in range(2000)]
    estate.write(doc)
    run_scan(create_scan(account).pk)
    response = viewer.get(PDF)
    text = pdf_text(response.content)
    assert all(f"bulk-bucket-{i:05d}" in text for i in range(2000))
    assert len(PdfReader(io.BytesIO(response.content)).pages) > 10
    assert graphics_states_balance(response.content)  # a table crossing pages once popped a state it never pushed


def test_the_pdf_reads_a_fixed_number_of_queries(scanned, admin, estate, django_assert_num_queries):
    from tests.frontend.test_pages import grow

    for _ in range(2):
        with django_assert_num_queries(9):  # as the report page (tests/frontend/test_pages.py)
            assert admin.get(PDF).status_code == 200
        grow(scanned, estate)
