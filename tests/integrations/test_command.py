"""python manage.py integrations ..."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from posture.integrations.models import Event
from tests.integrations.helpers import make_jira, make_webhook


def test_test_names_the_problem_with_a_bad_token(db, jira_dc) -> None:
    make_jira(jira_dc, token="expired-pat")
    with pytest.raises(CommandError, match=r"jira-datacenter: Jira refused the credentials \(HTTP 401\)"):
        call_command("integrations", "test", "jira-datacenter")


def test_test_list_and_log(db, jira_dc, receiver, capsys) -> None:
    make_jira(jira_dc)
    make_webhook(receiver, [Event.SCAN_FINISHED])
    call_command("integrations", "test", "jira-datacenter")
    call_command("integrations", "test", "hook")
    call_command("integrations", "list")
    call_command("integrations", "log", "hook")
    out = capsys.readouterr().out
    assert "jira-datacenter: signed in to Jira as Posture Bot; project SEC (Security) is reachable" in out
    assert "hook: HTTP 204" in out
    assert "project=SEC (datacenter)" in out
    assert "test                 succeeded attempts=1 code=204" in out
    with pytest.raises(CommandError, match="no integration named 'nope'"):
        call_command("integrations", "test", "nope")
