"""``persist.insert`` writes each row's own values: a value prepared once for the rows that share its object
(the scan's one ``now``, the account, None) is prepared again as soon as a row brings another."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from posture.findings.models import Finding, FindingEvent
from posture.inventory.models import Resource
from posture.scans.persist import insert
from posture.scans.pipeline import create_scan, run_scan

pytestmark = pytest.mark.django_db


def test_rows_sharing_and_then_changing_values_are_written_as_given(account) -> None:
    scan = run_scan(create_scan(account).pk)
    resource = Resource.objects.get(uid="b-public")
    now = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    later = now + timedelta(hours=1)
    shared = [{"path": "public", "value": True}]
    plan = [  # (rule, evidence, last_seen): the same objects in a row, another one, then the first again
        ("r1", shared, now),
        ("r2", shared, now),
        ("r3", [{"path": "public", "value": False}], later),
        ("r4", shared, now),
        ("r5", [], later + timedelta(minutes=4)),
    ]
    insert(
        Finding,
        [
            Finding(
                account=account,
                rule_id=rule,
                resource=resource,
                resource_uid=resource.uid,
                status="FAIL",
                severity="high",
                evidence=evidence,
                first_seen=now,
                last_seen=seen,
                status_changed_at=now,
                updated_at=now,
                change_seq=1000 + n,
            )
            for n, (rule, evidence, seen) in enumerate(plan)
        ],
    )
    written = {
        f.rule_id: (f.evidence, f.last_seen, f.change_seq)
        for f in Finding.objects.filter(rule_id__in=["r1", "r2", "r3", "r4", "r5"])
    }
    assert written == {
        "r1": (shared, now, 1000),
        "r2": (shared, now, 1001),
        "r3": ([{"path": "public", "value": False}], later, 1002),
        "r4": (shared, now, 1003),
        "r5": ([], later + timedelta(minutes=4), 1004),
    }
    finding = Finding.objects.get(rule_id="r1")
    insert(
        FindingEvent,
        [
            FindingEvent(finding=finding, scan=scan, kind="opened", to_status="FAIL", at=now, note="a"),
            FindingEvent(finding=finding, scan=None, kind="opened", to_status="FAIL", at=now, note="a"),
            FindingEvent(finding=finding, scan=scan, kind="closed", to_status="PASS", at=later, note="b"),
        ],
    )
    events = list(FindingEvent.objects.filter(finding=finding, note__in=["a", "b"]).order_by("id"))
    assert [(e.scan_id, e.kind, e.at, e.note) for e in events] == [
        (scan.pk, "opened", now, "a"),
        (None, "opened", now, "a"),
        (scan.pk, "closed", later, "b"),
    ]
