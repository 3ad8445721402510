"""python manage.py demo: emulators, accounts, a replayed history; a second run reuses it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from posture.findings.models import ComplianceScore, FindingEvent
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan

pytestmark = pytest.mark.django_db


def demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def test_demo_builds_history_then_reuses_it_then_resets() -> None:
    out = demo("--scan-days", "4")
    accounts = list(CloudAccount.objects.filter(labels__demo="true"))
    assert accounts, out
    scans = Scan.objects.filter(account__in=accounts)
    assert scans.count() == 4 * len(accounts) and not scans.exclude(state__in=["succeeded", "partial"]).exists()
    days = {s.taken_at.date() for s in ComplianceScore.objects.all()}
    assert len(days) == 4, "each scan is stamped on its own day"
    assert FindingEvent.objects.filter(kind__in=["resolved", "reopened"]).exists(), "history moves"
    assert "sign in as  demo / " in out

    again = demo()
    assert "reusing it" in again and Scan.objects.count() == scans.count()
    assert CloudAccount.objects.filter(labels__demo="true").count() == len(accounts)

    demo("--reset", "--scan-days", "2")
    assert Scan.objects.count() == 2 * len(accounts)


def test_bad_options_are_refused() -> None:
    with pytest.raises(Exception, match="--scan-days"):
        demo("--scan-days", "0")
