"""The findings page starts where work starts: failing and unmuted by default, a total, a stable order,
a removable chip for every filter, search over what the list shows, and categories across clouds."""

from __future__ import annotations

import html as htmllib
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from frontend import findings_query
from posture.findings.models import Finding
from posture.findings.search import rebuild_search_text
from posture.scans.pipeline import create_scan, run_scan, shifted_clock
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db
ROW = re.compile(r'data-finding="(\d+)"')
CHIP = re.compile(r'data-chip="([^"]+)">([^<]*)<a href="([^"]+)"')


def ids_on(response) -> list[int]:
    return [int(i) for i in ROW.findall(response.content.decode())]


def chips_on(response) -> list[tuple[str, str, str]]:
    """(name, label, remove link) of every chip on the page."""
    return [
        (n, htmllib.unescape(label), htmllib.unescape(href))
        for n, label, href in CHIP.findall(response.content.decode())
    ]


def pk(uid: str, status: str | None = None) -> int:
    qs = Finding.objects.filter(resource_uid=uid)
    return (qs.filter(status=status) if status else qs).get().pk


@pytest.fixture
def two_failing(account, estate):
    """b-public and u-alice fail; u-alice's finding is muted."""
    estate.write(estate_doc(public=True, mfa=False))
    run_scan(create_scan(account).pk)
    Finding.objects.filter(resource_uid="u-alice").update(muted=True)
    return account


def test_the_default_is_failing_and_unmuted_and_one_click_shows_everything(two_failing, viewer):
    response = viewer.get("/findings/")
    assert ids_on(response) == [pk("b-public")]
    page = response.content.decode()
    assert 'href="/findings/?status=all&amp;muted=any"' in page
    everything = viewer.get("/findings/?status=all&muted=any")
    assert sorted(ids_on(everything)) == sorted(Finding.objects.values_list("id", flat=True))
    assert set(ids_on(viewer.get("/findings/?muted=any"))) == {pk("b-public"), pk("u-alice")}
    assert set(ids_on(viewer.get("/findings/?status=all"))) == set(
        Finding.objects.filter(muted=False).values_list("id", flat=True)
    )


def test_the_status_boxes_always_send_all_so_unticking_every_box_means_everything(two_failing, viewer):
    assert set(ids_on(viewer.get("/findings/?status=all&status=PASS&muted=any"))) == set(
        Finding.objects.filter(status="PASS").values_list("id", flat=True)
    )
    assert len(ids_on(viewer.get("/findings/?status=all&muted=any"))) == Finding.objects.count()


def test_the_page_shows_the_total_and_caps_a_large_count(two_failing, viewer, monkeypatch):
    assert '<strong>1</strong> finding<span class="muted">' in viewer.get("/findings/").content.decode()
    page = viewer.get("/findings/?status=all&muted=any&size=25").content.decode()
    assert f"<strong>{Finding.objects.count()}</strong> findings" in page
    monkeypatch.setattr(findings_query, "COUNT_CAP", 2)
    page = viewer.get("/findings/?status=all&muted=any").content.decode()
    assert "<strong>2+</strong> findings" in page


def test_every_filter_has_a_chip_and_removing_one_keeps_the_others(two_failing, viewer):
    url = "/findings/?severity=high&severity=medium&resource=b-public&q=bucket&category=exposure&muted=any"
    response = viewer.get(url)
    chips = chips_on(response)
    assert [(n, label) for n, label, _ in chips] == [
        ("severity", "Severity: high"),
        ("severity", "Severity: medium"),
        ("resource", "Resource: b-public"),
        ("q", "Search: “bucket”"),
        ("category", "Category: Exposure and public access"),
        ("status", "Status: FAIL"),
    ]
    assert ids_on(response) == [pk("b-public")]
    remove_high = next(href for n, label, href in chips if label == "Severity: high")
    after = chips_on(viewer.get(remove_high))
    assert [label for _, label, _ in after] == [
        "Severity: medium",
        "Resource: b-public",
        "Search: “bucket”",
        "Category: Exposure and public access",
        "Status: FAIL",
    ]
    # the resource filter (picked by clicking a group) has its chip, and its removal keeps the rest
    remove_resource = next(href for n, _, href in chips if n == "resource")
    assert "resource=" not in remove_resource and "severity=medium" in remove_resource and "q=bucket" in remove_resource
    # removing a default filter says "everything" explicitly instead of falling back to the default
    remove_status = next(href for n, _, href in chips if n == "status")
    assert "status=all" in remove_status
    assert chips_on(viewer.get("/findings/?status=all&muted=any")) == []


def test_a_filter_the_form_has_no_control_for_rides_along_as_a_hidden_input(two_failing, viewer):
    page = viewer.get("/findings/?resource=b-public&rule=testcloud.storage.bucket_not_public").content.decode()
    start = page.index('<form id="filters"')
    form = page[start : page.index("</form>", start)]
    assert '<input type="hidden" name="resource" value="b-public">' in form
    assert '<input type="hidden" name="rule" value="testcloud.storage.bucket_not_public">' in form
    assert 'name="severity"' in form and '<input type="hidden" name="severity"' not in form


def test_the_order_is_severity_then_newest_then_id(account, estate, viewer):
    now = timezone.now()
    doc = estate_doc(public=True, mfa=False)
    estate.write(doc)
    run_scan(create_scan(account).pk, clock=shifted_clock(now - timedelta(days=2)))
    for uid in ("b-new-1", "b-new-2"):
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
    run_scan(create_scan(account).pk)
    # b-public was found first (lowest id) but, say, recreated since: newest means first seen, not id
    Finding.objects.filter(resource_uid="b-public").update(first_seen=now + timedelta(hours=1))
    ids = ids_on(viewer.get("/findings/"))
    # high first, newest first (b-public, then the two found now: same time, higher id first); then medium
    assert ids == [pk("b-public"), pk("b-new-2"), pk("b-new-1"), pk("u-alice")]


def test_search_finds_the_rule_title_the_list_shows_and_images(account, estate, viewer):
    doc = estate_doc(public=True, mfa=False)
    doc["resources"][0]["config"]["containers"] = [{"name": "web", "image": "registry.example/shop/web:1.4.2"}]
    estate.write(doc)
    run_scan(create_scan(account).pk)
    assert ids_on(viewer.get("/findings/?q=Bucket is not PUBLIC")) == [pk("b-public")]
    assert ids_on(viewer.get("/findings/?q=shop/web:1.4")) == [pk("b-public")]
    assert ids_on(viewer.get("/findings/?q=user has mfa")) == [pk("u-alice")]
    api = viewer.get("/api/v1/findings/?q=shop/web").json()
    assert [f["id"] for f in api["results"]] == [pk("b-public")]


def test_rebuilding_the_search_column_restores_search_for_old_rows(account, estate, viewer):
    estate.write(estate_doc(public=True, mfa=False))
    run_scan(create_scan(account).pk)
    Finding.objects.update(search_text="")  # as written before titles were searchable
    assert ids_on(viewer.get("/findings/?q=bucket is not public")) == []
    assert rebuild_search_text(Finding, batch=1) == Finding.objects.count()
    assert ids_on(viewer.get("/findings/?q=bucket is not public")) == [pk("b-public")]


def test_the_category_filter_on_the_page_the_api_and_the_command_line(two_failing, viewer, capsys):
    everything = "status=all&muted=any"
    buckets = set(Finding.objects.filter(resource_uid__startswith="b-").values_list("id", flat=True))
    assert set(ids_on(viewer.get(f"/findings/?category=exposure&{everything}"))) == buckets
    assert ids_on(viewer.get(f"/findings/?category=identity&{everything}")) == [pk("u-alice")]
    page = viewer.get("/findings/?category=colour").content.decode()
    assert 'class="flash-item flash-error"' in page and "category" in page
    api = viewer.get("/api/v1/findings/?category=exposure&page_size=100").json()
    assert {f["id"] for f in api["results"]} == buckets
    assert viewer.get("/api/v1/findings/?category=colour").status_code == 400
    export = viewer.get(f"/findings/export/?format=json&category=identity&{everything}")
    assert [i["resource"]["uid"] for i in json.loads(b"".join(export.streaming_content))] == ["u-alice"]
    call_command("findings", "export", "--format", "json", "--category", "exposure")
    assert {f["resource"]["uid"] for f in json.loads(capsys.readouterr().out)} == {"b-public", "b-private", "b-r2"}
