"""A scan end to end through the test provider: resources, findings, events, snapshots."""

from __future__ import annotations

import pytest

from posture.findings.models import ComplianceSnapshot, Finding, FindingEvent
from posture.inventory.models import Resource, ResourceChange
from posture.scans.models import Scan
from posture.scans.pipeline import ScanRefused, cancel_scan, create_scan, run_scan, throttled
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db


def scan(account) -> Scan:
    return run_scan(create_scan(account).pk)


def state_of_everything() -> dict:
    """Every row the pipeline writes, minus the timestamps that must move."""
    return {
        "resources": sorted(Resource.objects.values_list("uid", "config_hash", "first_seen")),
        "findings": sorted(
            Finding.objects.values_list(
                "rule_id", "resource_uid", "status", "message", "first_seen", "status_changed_at"
            )
        ),
        "events": FindingEvent.objects.count(),
        "changes": ResourceChange.objects.count(),
    }


def test_first_scan_writes_resources_findings_events_and_snapshots(account) -> None:
    result = scan(account)
    assert result.state == "succeeded", result.errors
    assert result.counts["resources"] == 4
    assert result.counts["findings"] == {"FAIL": 2, "PASS": 2}
    assert set(Resource.objects.values_list("uid", flat=True)) == {"b-public", "b-private", "b-r2", "u-alice"}
    failing = set(Finding.objects.filter(status="FAIL").values_list("resource_uid", flat=True))
    assert failing == {"b-public", "u-alice"}
    assert sorted(FindingEvent.objects.values_list("kind", "finding__resource_uid")) == [
        ("opened", "b-public"),
        ("opened", "u-alice"),
    ]
    snaps = {s.control_id: s for s in ComplianceSnapshot.objects.filter(scan=result, framework_id="test-benchmark-1.0")}
    assert (snaps["1.1"].status, snaps["1.1"].passed, snaps["1.1"].failed) == ("fail", 2, 1)
    assert snaps["1.2"].status == "manual" and not snaps["1.2"].automated
    assert snaps["2.1"].status == "fail"
    assert snaps["2.2"].status == "manual"  # no rule evidences it: it needs attestation, automated or not
    evidence = Finding.objects.get(resource_uid="b-public").evidence
    assert evidence == [{"path": "public", "value": True}]


def test_a_second_identical_scan_changes_nothing_but_last_seen(account) -> None:
    first = scan(account)
    before = state_of_everything()
    seen = dict(Finding.objects.values_list("resource_uid", "last_seen"))
    second = scan(account)
    assert second.state == "succeeded"
    assert state_of_everything() == before
    assert second.counts["transitions"] == {} and second.counts["resources_changed"] == 0
    assert all(f.last_seen > seen[f.resource_uid] for f in Finding.objects.all())
    assert (
        ComplianceSnapshot.objects.filter(scan=second).count() == ComplianceSnapshot.objects.filter(scan=first).count()
    )


def test_fixes_and_regressions_become_events_and_drift(account, estate) -> None:
    scan(account)
    estate.write(estate_doc(public=False, mfa=True))
    fixed = scan(account)
    assert fixed.counts["transitions"] == {"resolved": 2}
    assert fixed.counts["resources_changed"] == 2
    change = ResourceChange.objects.get(resource__uid="b-public")
    assert change.previous_config == {"public": True, "size": 1}
    estate.write(estate_doc(public=True, mfa=True))
    regressed = scan(account)
    assert regressed.counts["transitions"] == {"reopened": 1}
    kinds = list(
        FindingEvent.objects.filter(finding__resource_uid="b-public")
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["opened", "resolved", "reopened"]
    bucket = Finding.objects.get(resource_uid="b-public")
    assert bucket.first_seen < bucket.status_changed_at


def test_a_failing_region_marks_the_scan_partial_and_keeps_the_rest(account, estate) -> None:
    estate.write(estate_doc(fail=[{"service": "storage", "region": "r2", "error": "region timed out"}]))
    result = scan(account)
    assert result.state == "partial"
    assert result.errors == [  # in words, not the exception's text
        {"service": "storage", "region": "r2", "kind": "error", "error": "the call failed (RuntimeError)"}
    ]
    assert set(Resource.objects.values_list("uid", flat=True)) == {"b-public", "b-private", "u-alice"}


def test_every_unit_failing_fails_the_scan_and_writes_nothing(account, estate) -> None:
    estate.write(
        estate_doc(
            fail=[
                {"service": "storage", "region": "r1"},
                {"service": "storage", "region": "r2"},
                {"service": "iam", "region": "global"},
            ]
        )
    )
    result = scan(account)
    assert result.state == "failed"
    assert len(result.errors) == 3
    assert Resource.objects.count() == 0 and Finding.objects.count() == 0


def test_broken_credentials_fail_the_scan_with_a_message(account, estate) -> None:
    estate.path.unlink()
    result = scan(account)
    assert result.state == "failed"
    assert result.message == "the scan could not start: the call failed (FileNotFoundError, No such file or directory)"


def test_only_one_active_scan_per_account(account) -> None:
    first = create_scan(account)
    with pytest.raises(ScanRefused):
        create_scan(account)
    assert cancel_scan(first)
    assert run_scan(first.pk).state == "cancelled"
    assert Resource.objects.count() == 0


def test_the_cancel_check_is_asked_at_most_once_per_interval(monkeypatch) -> None:
    now = [100.0]
    monkeypatch.setattr("posture.scans.pipeline.time.monotonic", lambda: now[0])
    answers = iter([False, True])
    asked = []
    check = throttled(lambda: asked.append(now[0]) or next(answers), 0.5)
    assert [check(), check()] == [False, False] and asked == [100.0]  # the second call: the last answer
    now[0] += 0.4
    assert not check() and len(asked) == 1
    now[0] += 0.1
    assert check() and asked == [100.0, 100.5]  # the interval passed: asked again, the cancel is seen


def test_persistence_is_batched_not_per_finding(account, estate, django_assert_max_num_queries) -> None:
    doc = estate_doc()
    doc["resources"] += [
        {
            "service": "storage",
            "region": "r1",
            "type": "testcloud.storage.bucket",
            "uid": f"bulk-{n}",
            "config": {"public": n % 2 == 0},
        }
        for n in range(1200)
    ]
    estate.write(doc)
    with django_assert_max_num_queries(80):
        assert scan(account).counts["resources"] == 1204
    with django_assert_max_num_queries(80):
        assert scan(account).state == "succeeded"


def test_history_can_be_replayed_on_a_shifted_clock(account, estate) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from posture.findings.models import ComplianceScore
    from posture.scans.pipeline import shifted_clock

    day = timezone.now() - timedelta(days=20)
    scan = run_scan(create_scan(account).pk, clock=shifted_clock(day))
    assert abs((scan.started_at - day).total_seconds()) < 60
    assert abs((Finding.objects.get(resource_uid="b-public").first_seen - day).total_seconds()) < 60
    assert abs((ComplianceScore.objects.get(scan=scan).taken_at - day).total_seconds()) < 60


def test_stale_running_scans_are_reaped(account) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from posture.scans.pipeline import reap_stale_scans

    stale, fresh = create_scan(account), None
    Scan.objects.filter(pk=stale.pk).update(state="running", heartbeat_at=timezone.now() - timedelta(hours=1))
    assert reap_stale_scans(stale_after=600) == [stale.pk]
    fresh = create_scan(account)
    Scan.objects.filter(pk=fresh.pk).update(state="running", heartbeat_at=timezone.now())
    assert reap_stale_scans(stale_after=600) == []


def test_progress_is_written_first_and_last_and_reported_every_unit(account, monkeypatch, settings) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import posture.scans.pipeline as pipeline

    monkeypatch.setattr(pipeline, "PROGRESS_WRITE_SECONDS", 3600.0)  # nothing in between within the scan
    settings.SCAN_CONCURRENCY = 1  # one unit at a time: a round per unit
    reported: list[tuple[int, int]] = []
    with CaptureQueriesContext(connection) as queries:
        result = run_scan(create_scan(account).pk, on_progress=lambda done, total: reported.append((done, total)))
    total = result.progress_total
    assert total > 2 and result.progress_done == total
    assert reported == [(n, total) for n in range(1, total + 1)], "the caller hears of every unit"
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "progress_done" in q["sql"]
    ]
    assert len(writes) == 3, writes  # the first unit, the last, and the final state
