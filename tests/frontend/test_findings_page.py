"""The findings page: API filters, sorting, keyset paging, grouping, export, triage and its roles."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from posture.findings.models import EventKind, Finding, FindingEvent, MuteRule
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import assert_csv_formulas_inert, formula_estate_doc
from tests.frontend.test_pages import grow

ROW = re.compile(r'data-finding="(\d+)"')


def ids_on(response) -> list[int]:
    return [int(i) for i in ROW.findall(response.content.decode())]


EVERYTHING = "status=all&muted=any"  # the page's default is failing and unmuted; these say "everything"


def everything(query: str) -> str:
    """``query`` on the page, with "everything" for the page's defaults it does not name (as the API has none)."""
    extra = [p for p in EVERYTHING.split("&") if p.split("=")[0] + "=" not in query]
    return "&".join([query, *extra])


def api_ids(client, query: str) -> set[int]:
    out, url = set(), f"/api/v1/findings/?page_size=1000&{query}"
    while url:
        body = client.get(url).json()
        out |= {item["id"] for item in body["results"]}
        url = body["next"]
    return out


@pytest.mark.parametrize(
    "query",
    [
        "status=FAIL",
        "severity=high&severity=medium",
        "status=PASS&region=r1",
        "q=alice",
        "framework=test-benchmark-1.0&control=1.1",
        "muted=false&status=FAIL",
        "resource_type=testcloud.iam.user",
        "account=test-account&service=storage",
    ],
)
def test_the_page_and_the_api_filter_alike(query, scanned, viewer):
    page = viewer.get(f"/findings/?{everything(query)}&size=100")
    assert page.status_code == 200
    assert set(ids_on(page)) == api_ids(viewer, query)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("severity=bogus", "severity"),
        ("control=1.1", "needs framework"),
        ("framework=nope", "framework"),
        ("framework=test-benchmark-1.0&control=9.9", "control"),
        ("muted=perhaps", "muted"),
        ("last_seen_after=yesterday", "last_seen"),
        ("sort=colour", "sort"),
        ("group=team", "group"),
    ],
)
def test_bad_filters_are_messages_not_errors(query, message, scanned, viewer):
    response = viewer.get(f"/findings/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="flash-item flash-error"' in html and message in html


@pytest.mark.parametrize("sort", ["severity", "last_seen", "first_seen", "rule", "resource"])
def test_keyset_paging_visits_every_row_once(sort, scanned, estate, viewer):
    grow(scanned, estate, buckets=60)
    seen: list[int] = []
    url = f"/findings/?sort={sort}&size=25&{EVERYTHING}"
    pages = 0
    while url:
        response = viewer.get(url)
        seen += ids_on(response)
        nxt = re.search(r'rel="next"[^>]*href="([^"]+)"', response.content.decode())
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == Finding.objects.count()


def test_severity_sort_puts_the_worst_first(scanned, viewer):
    ids = ids_on(viewer.get("/findings/?sort=severity"))
    ranks = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    severities = [ranks[Finding.objects.get(pk=i).severity] for i in ids]
    assert severities == sorted(severities)


def test_a_tampered_cursor_falls_back_to_the_first_page(scanned, viewer):
    response = viewer.get(f"/findings/?cursor=not-a-cursor&{EVERYTHING}")
    assert b"not valid any more" in response.content
    assert len(ids_on(response)) == Finding.objects.count()


def test_a_cursor_of_another_sort_falls_back_to_the_first_page(scanned, estate, viewer):
    grow(scanned, estate, buckets=60)
    for mine, other in [("rule", "last_seen"), ("last_seen", "rule"), ("severity", "first_seen")]:
        html = viewer.get(f"/findings/?sort={mine}&size=25&{EVERYTHING}").content.decode()
        cursor = re.search(r'rel="next"[^>]*href="[^"]*cursor=([^&"]+)', html).group(1)
        response = viewer.get(f"/findings/?sort={other}&size=25&cursor={cursor}")
        assert response.status_code == 200 and b"showing the first page" in response.content, (mine, other)


EXTREME_TIMES = ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00"]


@pytest.mark.parametrize("when", EXTREME_TIMES)
def test_an_extreme_time_filter_is_a_message_on_the_page_and_the_export(scanned, viewer, when):
    response = viewer.get(f"/findings/?first_seen_after={when}")
    assert response.status_code == 200 and b"first_seen" in response.content and ids_on(response) == []
    response = viewer.get(f"/findings/export/?format=csv&last_seen_before={when}", follow=True)
    assert response.status_code == 200 and b"last_seen" in response.content


def test_grouping_by_control_and_by_resource(scanned, viewer):
    by_rule = viewer.get("/findings/?group=control").content.decode()
    assert "test-benchmark-1.0:1.1" in by_rule and "Bucket is not public" in by_rule
    by_resource = viewer.get("/findings/?group=resource&status=PASS").content.decode()
    assert "b-private" in by_resource and "b-public" not in by_resource


def test_htmx_request_gets_only_the_results(scanned, viewer):
    response = viewer.get("/findings/?status=FAIL", headers={"HX-Request": "true", "HX-Target": "results"})
    html = response.content.decode()
    assert "<html" not in html and 'id="findings-table"' in html
    assert ids_on(response) == list(Finding.objects.filter(status="FAIL").values_list("id", flat=True))


def test_export_follows_the_filters(scanned, viewer):
    response = viewer.get("/findings/export/?format=csv&status=PASS&region=r1")
    assert response["Content-Disposition"] == 'attachment; filename="findings.csv"'
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["resource_uid"] for r in rows} == {"b-private"}
    response = viewer.get("/findings/export/?format=json&status=FAIL")
    items = json.loads(b"".join(response.streaming_content))
    assert {i["resource"]["uid"] if isinstance(i["resource"], dict) else i["resource"] for i in items} == {"b-public"}


def test_csv_export_neutralises_formulas_in_resource_names(account, estate, viewer):
    estate.write(formula_estate_doc())
    run_scan(create_scan(account).pk)
    response = viewer.get(f"/findings/export/?format=csv&{EVERYTHING}")
    assert_csv_formulas_inert(b"".join(response.streaming_content).decode())


def test_export_with_a_bad_format_or_filter_goes_back_with_a_message(scanned, viewer):
    response = viewer.get("/findings/export/?format=xlsx&status=FAIL", follow=True)
    assert response.status_code == 200 and b"format must be one of" in response.content
    response = viewer.get("/findings/export/?format=csv&severity=bogus", follow=True)
    assert b"severity" in response.content


def test_bulk_mute_moves_the_rows_and_records_who_and_why(scanned, analyst):
    failing = Finding.objects.get(status="FAIL")
    response = analyst.post(
        "/findings/bulk/",
        {"ids": [failing.pk], "action": "mute", "reason": "accepted: static site", "back": "status=FAIL&muted=false"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert response.status_code == 200
    assert ids_on(response) == []  # it moved out of the "not muted" view
    assert b"Muted 1 finding" in response.content
    failing.refresh_from_db()
    assert failing.muted and failing.mute_rule.reason == "accepted: static site"
    assert failing.mute_rule.resource_pattern == "b-public" and failing.mute_rule.account_id == scanned.pk
    assert FindingEvent.objects.filter(finding=failing, kind=EventKind.MUTED).exists()
    assert ids_on(analyst.get("/findings/?muted=true")) == [failing.pk]
    analyst.post("/findings/bulk/", {"ids": [failing.pk], "action": "unmute", "back": ""})
    failing.refresh_from_db()
    assert not failing.muted
    assert MuteRule.objects.get().revoked_at is not None


def test_mute_needs_a_reason_and_a_future_expiry(scanned, analyst):
    failing = Finding.objects.get(status="FAIL")
    response = analyst.post(f"/findings/{failing.pk}/mute/", {"reason": "  "}, follow=True)
    assert b"Not muted: reason" in response.content
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    response = analyst.post(f"/findings/{failing.pk}/mute/", {"reason": "later", "expires": yesterday}, follow=True)
    assert b"must be in the future" in response.content
    response = analyst.post(f"/findings/{failing.pk}/mute/", {"reason": "later", "expires": "soon"}, follow=True)
    assert b"is not a date" in response.content
    assert not MuteRule.objects.exists()
    tomorrow = (timezone.now() + timedelta(days=1)).date().isoformat()
    response = analyst.post(f"/findings/{failing.pk}/mute/", {"reason": "until the fix ships", "expires": tomorrow})
    failing.refresh_from_db()
    assert failing.muted and failing.mute_rule.expires_at.date().isoformat() == tomorrow
    page = analyst.get(f"/findings/{failing.pk}/").content.decode()
    assert "until the fix ships" in page and "Unmute" in page
    analyst.post(f"/findings/{failing.pk}/unmute/")
    failing.refresh_from_db()
    assert not failing.muted


def test_a_uid_with_glob_characters_mutes_only_itself(scanned, estate, analyst):
    from posture.scans.pipeline import create_scan, run_scan
    from tests.conftest import estate_doc

    doc = estate_doc()
    for uid in ("b[1]*", "b1x"):
        doc["resources"].append(
            {
                "service": "storage",
                "region": "r1",
                "type": "testcloud.storage.bucket",
                "uid": uid,
                "config": {"public": True},
            }
        )
    estate.write(doc)
    run_scan(create_scan(scanned).pk)
    star = Finding.objects.get(resource_uid="b[1]*")
    analyst.post("/findings/bulk/", {"ids": [star.pk], "action": "mute", "reason": "odd name"})
    assert set(Finding.objects.filter(muted=True).values_list("resource_uid", flat=True)) == {"b[1]*"}


def test_a_viewer_sees_no_triage_controls_and_cannot_post(scanned, viewer):
    failing = Finding.objects.get(status="FAIL")
    html = viewer.get("/findings/").content.decode()
    assert 'name="ids"' not in html and 'value="mute"' not in html
    detail = viewer.get(f"/findings/{failing.pk}/").content.decode()
    assert "Mute this finding" not in detail
    assert viewer.post("/findings/bulk/", {"ids": [failing.pk], "action": "mute", "reason": "x"}).status_code == 403
    assert viewer.post(f"/findings/{failing.pk}/mute/", {"reason": "x"}).status_code == 403
    assert viewer.post(f"/findings/{failing.pk}/unmute/").status_code == 403
    assert not MuteRule.objects.exists()


def test_an_analyst_sees_triage_controls(scanned, analyst):
    html = analyst.get("/findings/").content.decode()
    assert 'name="ids"' in html and 'value="mute"' in html


def test_bulk_without_a_choice_says_so(scanned, analyst):
    response = analyst.post("/findings/bulk/", {"action": "mute", "reason": "x"}, follow=True)
    assert b"tick at least one finding" in response.content
    f = Finding.objects.first()
    response = analyst.post("/findings/bulk/", {"ids": [f.pk], "action": "explode"}, follow=True)
    assert b"choose mute or unmute" in response.content


def test_detail_shows_evidence_rationale_remediation_and_history(scanned, viewer):
    mfa = Finding.objects.get(resource_uid="u-alice")
    html = viewer.get(f"/findings/{mfa.pk}/").content.decode()
    for text in ("MFA is on", "Passwords alone are phished.", "Enable MFA.", "Resolved", "Opened", "2.1"):
        assert text in html, text
