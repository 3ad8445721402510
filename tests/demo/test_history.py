"""The demo's replayed month: every finding's events are a lifecycle it really went through."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from posture.findings.models import EventKind, Finding, FindingEvent
from tests.support.history import invalid_histories

pytestmark = pytest.mark.django_db


def test_every_replayed_finding_history_starts_opened_and_alternates() -> None:
    call_command("demo", "--no-serve", "--scan-days", "5", stdout=StringIO())
    kinds = set(FindingEvent.objects.values_list("kind", flat=True))
    assert {EventKind.OPENED, EventKind.RESOLVED} <= kinds, kinds
    failing = Finding.objects.filter(status="FAIL")
    assert failing.exists() and not failing.exclude(events__kind=EventKind.OPENED).exists(), "failing: opened once"
    bad = invalid_histories()
    assert bad == {}, f"{len(bad)} findings with impossible histories, e.g. {next(iter(bad.values()))}"
