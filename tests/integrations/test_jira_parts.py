"""Pieces of the Jira side: transitions chosen, text rendered, failures kept, secrets rotated."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from posture.integrations import operations
from posture.integrations.jira.client import JiraError
from posture.integrations.jira.content import to_adf, to_wiki
from posture.integrations.jira.sync import pick_transition
from posture.integrations.models import Delivery, DeliveryStatus, Event, JiraConnection, Ticket
from tests.integrations.helpers import make_jira

TRANSITIONS = [
    {"id": "11", "name": "Back to work", "to": {"name": "To Do", "statusCategory": {"key": "new"}}},
    {"id": "21", "name": "Start", "to": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}}},
    {"id": "31", "name": "Close", "to": {"name": "Closed", "statusCategory": {"key": "done"}}},
]


def test_transitions_by_category_or_by_the_configured_name() -> None:
    assert pick_transition(TRANSITIONS, "", into_done=True)["id"] == "31"
    assert pick_transition(TRANSITIONS, "", into_done=False)["id"] == "11"  # "new" before "in progress"
    assert pick_transition(TRANSITIONS, "start", into_done=False)["id"] == "21"
    assert pick_transition(TRANSITIONS, "Closed", into_done=True)["id"] == "31"  # the target status's name
    with pytest.raises(JiraError, match=r"no transition named 'Resolve' .*available: Back to work, Start, Close"):
        pick_transition(TRANSITIONS, "Resolve", into_done=True)
    with pytest.raises(JiraError, match="no transition into Done"):
        pick_transition(TRANSITIONS[:2], "", into_done=True)


def test_text_renders_as_atlassian_document_and_as_wiki_markup() -> None:
    blocks = [("h", "Bucket [public]"), ("p", ["see ", ("the finding", "https://p.test/f/1")]), ("ul", [["a|b"]])]
    assert to_wiki(blocks) == "h3. Bucket \\[public\\]\n\nsee [the finding|https://p.test/f/1]\n\n* a\\|b\n"
    doc = to_adf(blocks)
    assert doc["type"] == "doc" and doc["version"] == 1
    assert [n["type"] for n in doc["content"]] == ["heading", "paragraph", "bulletList"]
    link = doc["content"][1]["content"][1]
    assert link["marks"] == [{"type": "link", "attrs": {"href": "https://p.test/f/1"}}]


def test_a_refused_token_keeps_the_work_until_it_is_fixed(jira_cloud, account, scan, settings, after_commit):
    settings.INTEGRATIONS_MAX_ATTEMPTS = 3
    connection = make_jira(jira_cloud, token="revoked-token")
    run = scan()
    assert run.state == "succeeded", "a Jira problem never fails a scan"
    d = Delivery.objects.get(event=Event.NEW_FAILURE)
    assert (d.status, d.attempts, d.response_code) == (DeliveryStatus.FAILED, 3, 401)
    assert d.error.startswith("Jira refused the credentials (HTTP 401)")
    assert "revoked-token" not in d.error
    assert JiraConnection.objects.get(pk=connection.pk).last_error == d.error

    connection.token = jira_cloud.token
    connection.save()
    with after_commit():
        operations.resend([d], source="cli")
    d.refresh_from_db()
    assert (d.status, d.result) == (DeliveryStatus.SUCCEEDED, "created SEC-1")
    assert Ticket.objects.get().key == "SEC-1"


def test_an_undecryptable_token_is_reported_and_the_scan_goes_on(jira_cloud, account, scan):
    connection = make_jira(jira_cloud)
    JiraConnection.objects.filter(pk=connection.pk).update(token_encrypted="gAAAA-not-a-fernet-token")
    assert scan().state == "succeeded"
    assert Delivery.objects.get().status == DeliveryStatus.PENDING  # kept for when the key is back
    assert "cannot be decrypted" in JiraConnection.objects.get(pk=connection.pk).last_error
    assert not jira_cloud.requests


def test_rotate_reencrypts_every_integration_secret(db, jira_cloud, receiver, settings, capsys) -> None:
    from cryptography.fernet import Fernet

    from tests.integrations.helpers import SECRET, make_webhook

    connection = make_jira(jira_cloud)
    hook = make_webhook(receiver, [Event.SCAN_FINISHED])
    old_key = settings.ENCRYPTION_KEYS[0]
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old_key]
    call_command("integrations", "rotate")
    assert "re-encrypted the secrets of 2 integrations" in capsys.readouterr().out
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]  # the old key dropped: still readable
    assert JiraConnection.objects.get(pk=connection.pk).token == jira_cloud.token
    hook.refresh_from_db()
    assert hook.secret == SECRET
