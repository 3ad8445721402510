"""The audit trail is chained: an edited or deleted entry is found, and where."""

from __future__ import annotations

import json
import logging
from io import StringIO

import pytest
from django.core.management import call_command

from posture.access.audit import record, verify
from posture.access.models import AuditLog

pytestmark = pytest.mark.django_db


def entries(n: int) -> list[AuditLog]:
    return [record("test.action", None, source="cli", detail={"n": i}) for i in range(n)]


def test_an_untouched_trail_verifies() -> None:
    entries(5)
    assert verify().ok and verify().checked == 5
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact: 5 entries" in out.getvalue()


def test_an_edited_entry_is_found() -> None:
    made = entries(5)
    AuditLog.objects.filter(pk=made[2].pk).update(detail={"n": 99})
    result = verify()
    assert not result.ok and f"entry {made[2].pk}: its content was changed" in result.problem


def test_a_deleted_entry_is_found() -> None:
    made = entries(5)
    AuditLog.objects.filter(pk=made[1].pk).delete()
    result = verify()
    assert not result.ok and f"entry {made[2].pk}: the entry before it" in result.problem


def test_deleting_the_newest_entries_is_found() -> None:
    made = entries(3)
    AuditLog.objects.filter(pk=made[2].pk).delete()
    assert not verify().ok


def test_the_command_exits_non_zero_on_a_broken_chain() -> None:
    made = entries(2)
    AuditLog.objects.filter(pk=made[0].pk).update(action="tampered")
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify", stderr=StringIO())
    assert exited.value.code == 1


def test_entries_are_forwarded_as_json(caplog, django_capture_on_commit_callbacks) -> None:
    with caplog.at_level(logging.INFO, logger="posture.audit"), django_capture_on_commit_callbacks(execute=True):
        record("account.create", None, source="api", detail={"provider": "aws"})
    forwarded = [json.loads(r.getMessage()) for r in caplog.records if r.name == "posture.audit"]
    assert forwarded and forwarded[0]["action"] == "account.create" and forwarded[0]["entry_hash"]
