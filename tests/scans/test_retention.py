from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posture.findings.models import ComplianceSnapshot, Finding, FindingEvent
from posture.scans.models import Scan
from posture.scans.pipeline import create_scan, run_scan
from posture.scans.retention import purge
from tests.conftest import estate_doc

pytestmark = pytest.mark.django_db


def test_purge_drops_old_history_but_keeps_current_findings_and_the_latest_scan(account, estate) -> None:
    run_scan(create_scan(account).pk)
    estate.write(estate_doc(public=False))
    run_scan(create_scan(account).pk)
    latest = Scan.objects.latest("id")
    findings = sorted(Finding.objects.values_list("resource_uid", "status"))
    later = timezone.now() + timedelta(days=500)
    counts = purge(now=later, days=30, batch=1)
    assert counts == {"events": 3, "scans": 1}
    assert list(Scan.objects.values_list("id", flat=True)) == [latest.pk]
    assert ComplianceSnapshot.objects.filter(scan=latest).exists()
    assert sorted(Finding.objects.values_list("resource_uid", "status")) == findings
    assert not FindingEvent.objects.exists()
    assert purge(now=later, days=30) == {"events": 0, "scans": 0}
