from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from posture.scans.models import Scan
from posture.scans.tasks import dispatch_due_scans

pytestmark = pytest.mark.django_db


def test_due_accounts_are_scanned_once_per_interval(account, django_capture_on_commit_callbacks) -> None:
    assert dispatch_due_scans() == []  # manual schedule
    account.scan_schedule = "daily"
    account.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = dispatch_due_scans()
    assert len(first) == 1
    assert Scan.objects.get(pk=first[0].pk).state == "succeeded"  # eager mode ran it
    assert dispatch_due_scans() == []
    assert len(dispatch_due_scans(timezone.now() + timedelta(days=1, minutes=1))) == 1


def test_disabled_accounts_are_not_scheduled(account) -> None:
    account.scan_schedule, account.enabled = "hourly", False
    account.save()
    assert dispatch_due_scans() == []
