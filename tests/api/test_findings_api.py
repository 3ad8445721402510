"""Findings through the API: filters, bad input, mutes, the change feed, exports, drift, compliance."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from posture.findings.models import Finding, FindingEvent
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import assert_csv_formulas_inert, estate_doc, formula_estate_doc

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client, user_with_role):
    client.force_login(user_with_role("analyst"))
    return client


def uids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {f["resource"]["uid"] for f in response.json()["results"]}


def test_filters(analyst, scanned) -> None:
    assert uids(analyst.get("/api/v1/findings/?status=FAIL")) == {"b-public", "u-alice"}
    assert uids(analyst.get("/api/v1/findings/?status=FAIL&severity=high")) == {"b-public"}
    assert uids(analyst.get("/api/v1/findings/?region=r2")) == {"b-r2"}
    assert uids(analyst.get("/api/v1/findings/?service=iam")) == {"u-alice"}
    assert uids(analyst.get("/api/v1/findings/?framework=test-benchmark-1.0&control=2.1")) == {"u-alice"}
    assert uids(analyst.get("/api/v1/findings/?q=public&status=FAIL")) == {"b-public"}
    assert uids(analyst.get("/api/v1/findings/?account=test-account&provider=testcloud")) == {
        "b-public",
        "b-private",
        "b-r2",
        "u-alice",
    }
    later = (timezone.now() + timedelta(days=1)).isoformat()
    assert uids(analyst.get("/api/v1/findings/", {"first_seen_after": later})) == set()
    ordered = analyst.get("/api/v1/findings/?ordering=severity").json()["results"]
    assert [f["severity"] for f in ordered] == sorted(f["severity"] for f in ordered)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("colour=red", "colour"),
        ("status=MAYBE", "status"),
        ("first_seen_after=yesterday", "first_seen"),
        ("framework=nope", "framework"),
        ("framework=test-benchmark-1.0&control=9.9", "control"),
        ("control=1.1", "control"),
        ("muted=perhaps", "muted"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(analyst, scanned, query, field) -> None:
    response = analyst.get(f"/api/v1/findings/?{query}")
    assert response.status_code == 400, response.content
    assert field in json.dumps(response.json())


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:59:59-14:00"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/findings/?first_seen_after=",
        "/api/v1/findings/?updated_before=",
        "/api/v1/findings/changes/?last_seen_after=",
        "/api/v1/findings/export/?format=csv&first_seen_before=",
        "/api/v1/events/?at_after=",
    ],
)
def test_a_time_no_utc_clock_can_show_is_a_400(analyst, scanned, url, when) -> None:
    response = analyst.get(url + when)
    assert response.status_code == 400, response.content
    assert "UTC" in json.dumps(response.json())


def test_mute_rule_mutes_leaves_the_score_and_expiry_or_revoke_unmutes(analyst, scanned, account) -> None:
    bad = analyst.post(
        "/api/v1/mutes/", {"rule_id": "testcloud.storage.bucket_not_public"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "reason" in json.dumps(bad.json())
    assert analyst.post("/api/v1/mutes/", {"reason": "no criteria"}, content_type="application/json").status_code == 400
    created = analyst.post(
        "/api/v1/mutes/",
        {"resource_pattern": "b-pub*", "reason": "public website bucket", "account": account.name},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    finding = Finding.objects.get(resource_uid="b-public", rule_id="testcloud.storage.bucket_not_public")
    assert finding.muted and finding.mute_rule_id == created.json()["id"]
    assert FindingEvent.objects.filter(finding=finding, kind="muted").count() == 1
    assert uids(analyst.get("/api/v1/findings/?muted=true")) == {"b-public"}
    # the next scan keeps it muted and out of the score
    scan = run_scan(create_scan(account).pk)
    snap = scan.snapshots.get(framework_id="test-benchmark-1.0", control_id="1.1")
    assert (snap.status, snap.failed) == ("pass", 0)
    assert analyst.delete(f"/api/v1/mutes/{created.json()['id']}/").status_code == 204
    finding.refresh_from_db()
    assert not finding.muted
    assert FindingEvent.objects.filter(finding=finding, kind="unmuted").count() == 1


def test_expired_mutes_come_back(analyst, scanned, account) -> None:
    from posture.findings.models import MuteRule
    from posture.findings.mutes import apply_mutes

    MuteRule.objects.create(
        rule_id="testcloud.iam.user_has_mfa", reason="break-glass user", expires_at=timezone.now() + timedelta(hours=1)
    )
    apply_mutes()
    assert Finding.objects.get(resource_uid="u-alice").muted
    apply_mutes(now=timezone.now() + timedelta(hours=2))
    assert not Finding.objects.get(resource_uid="u-alice").muted


def test_change_feed_never_skips_nor_repeats(analyst, scanned, account, estate) -> None:
    seen: dict[int, str] = {}
    after = 0

    def poll() -> None:
        nonlocal after
        while True:
            body = analyst.get(f"/api/v1/findings/changes/?after={after}&limit=1").json()
            if not body["results"]:
                return
            for item in body["results"]:
                assert item["change_seq"] > after
                seen[item["change_seq"]] = f"{item['resource']['uid']}:{item['status']}"
            after = body["next_after"]

    poll()
    assert sorted(seen.values()) == ["b-private:PASS", "b-public:FAIL", "b-r2:PASS", "u-alice:FAIL"]
    estate.write(estate_doc(public=False))
    run_scan(create_scan(account).pk)
    before = len(seen)
    poll()
    assert list(seen.values())[before:] == ["b-public:PASS"]
    run_scan(create_scan(account).pk)  # nothing changes: nothing new in the feed
    assert analyst.get(f"/api/v1/findings/changes/?after={after}").json()["results"] == []


@pytest.mark.parametrize("fmt", ["json", "csv", "ocsf", "sarif"])
def test_exports_stream_every_format(analyst, scanned, fmt) -> None:
    response = analyst.get(f"/api/v1/findings/export/?format={fmt}&status=FAIL")
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode()
    if fmt == "csv":
        assert sorted(r["resource_uid"] for r in csv.DictReader(io.StringIO(body))) == ["b-public", "u-alice"]
        return
    doc = json.loads(body)
    if fmt == "json":
        assert {f["resource"]["uid"] for f in doc} == {"b-public", "u-alice"}
    elif fmt == "ocsf":
        assert {f["class_uid"] for f in doc} == {2004}
        bucket = next(f for f in doc if f["resources"][0]["uid"] == "b-public")
        assert bucket["severity_id"] == 4 and bucket["compliance"]["requirements"] == ["test-benchmark-1.0:1.1"]
    else:
        run = doc["runs"][0]
        assert {r["ruleId"] for r in run["results"]} == {r["id"] for r in run["tool"]["driver"]["rules"]}
        assert {r["level"] for r in run["results"]} == {"error", "warning"}


def test_csv_export_neutralises_formulas_in_resource_names(analyst, account, estate) -> None:
    estate.write(formula_estate_doc())
    run_scan(create_scan(account).pk)
    response = analyst.get("/api/v1/findings/export/?format=csv")
    assert_csv_formulas_inert(b"".join(response.streaming_content).decode())


def test_drift_lists_both_directions(analyst, scanned, account, estate) -> None:
    doc = estate_doc(public=False, mfa=False)
    doc["resources"][1]["config"]["public"] = True  # b-private goes public
    doc["resources"].append({"service": "iam", "type": "testcloud.iam.user", "uid": "u-bob", "config": {"mfa": True}})
    estate.write(doc)
    scan = run_scan(create_scan(account).pk)
    body = analyst.get(f"/api/v1/scans/{scan.pk}/drift/").json()
    kinds = {r["uid"]: r["kind"] for r in body["resources_changed"]}
    assert kinds == {"b-public": "modified", "b-private": "modified", "u-bob": "appeared"}
    assert body["counts"] == {"modified": 2, "recreated": 0, "appeared": 1, "gone": 0}
    assert [f["resource"] for f in body["findings_better"]] == ["b-public"]
    assert [f["resource"] for f in body["findings_worse"]] == ["b-private"]
    assert body["resources_new"] == 1
    changed = next(r for r in body["resources_changed"] if r["uid"] == "b-public")
    assert changed["fields"] == [{"path": "public", "before": True, "after": False}]


def test_a_resource_that_disappears_resolves_its_findings(analyst, scanned, account, estate) -> None:
    doc = estate_doc()
    doc["resources"] = [r for r in doc["resources"] if r["uid"] != "b-public"]
    estate.write(doc)
    scan = run_scan(create_scan(account).pk)
    assert scan.counts["resources_gone"] == 1
    finding = Finding.objects.get(resource_uid="b-public")
    assert finding.status == "PASS" and finding.message == "the resource no longer exists"
    assert FindingEvent.objects.filter(finding=finding).latest("at").kind == "resolved"
    assert {r["uid"] for r in analyst.get("/api/v1/resources/?gone=true").json()["results"]} == {"b-public"}


def test_a_partial_scan_does_not_call_uncollected_resources_gone(scanned, account, estate) -> None:
    estate.write(estate_doc(fail=[{"service": "storage", "region": "r2"}]))
    scan = run_scan(create_scan(account).pk)
    assert scan.state == "partial" and scan.counts["resources_gone"] == 0


def test_compliance_summary_and_trend(analyst, scanned, account, estate) -> None:
    body = analyst.get("/api/v1/compliance/test-benchmark-1.0/").json()
    assert (body["controls_passed"], body["controls_evaluated"], body["score"]) == (0, 2, 0.0)
    controls = {c["id"]: c for s in body["sections"] for c in s["controls"]}
    assert controls["1.1"]["status"] == "fail" and controls["1.2"]["status"] == "needs_attestation"
    assert controls["2.2"]["status"] == "needs_attestation"  # no rule evidences it
    estate.write(estate_doc(public=False, mfa=True))
    run_scan(create_scan(account).pk)
    assert analyst.get("/api/v1/compliance/test-benchmark-1.0/?team=nobody").json()["score"] is None
    assert analyst.get(f"/api/v1/compliance/test-benchmark-1.0/?account={account.name}").json()["score"] == 100.0
    trend = analyst.get("/api/v1/compliance/test-benchmark-1.0/trend/?days=7").json()
    assert len(trend["points"]) == 7 and trend["points"][-1]["score"] == 100.0
    assert trend["points"][0]["score"] is None
    listing = analyst.get("/api/v1/compliance/").json()
    assert any(s["framework"]["id"] == "test-benchmark-1.0" and s["score"] == 100.0 for s in listing)
    assert analyst.get("/api/v1/compliance/test-benchmark-1.0/trend/?days=0").status_code == 400
    assert analyst.get("/api/v1/compliance/nope/").status_code == 404
    assert analyst.get("/api/v1/compliance/test-benchmark-1.0/?colour=red").status_code == 400


def test_the_written_out_finding_serializer_equals_drf_generic_fields(analyst, scanned, account) -> None:
    """Findings are written out by hand from plain rows for speed (lists, the feed, a detail); every one of
    those must say what DRF's generic fields would."""
    from rest_framework import serializers

    from posture.api.serializers import FindingSerializer

    created = analyst.post(
        "/api/v1/mutes/",
        {"resource_pattern": "b-pub*", "reason": "website", "account": account.name},
        content_type="application/json",
    )
    assert created.status_code == 201
    findings = list(Finding.objects.select_related("account", "resource"))
    assert any(f.muted for f in findings) and len(findings) == 4
    for f in findings:
        fast = FindingSerializer(f).data
        generic = serializers.ModelSerializer.to_representation(FindingSerializer(), f)
        assert fast == dict(generic)
        assert list(fast) == FindingSerializer.Meta.fields
        assert analyst.get(f"/api/v1/findings/{f.pk}/").json() == fast
    by_id = {f.pk: FindingSerializer(f).data for f in findings}
    listed = analyst.get("/api/v1/findings/?ordering=first_seen").json()["results"]
    fed = analyst.get("/api/v1/findings/changes/?after=0").json()["results"]
    assert len(listed) == len(fed) == 4
    for item in listed + fed:
        assert item == by_id[item["id"]]
