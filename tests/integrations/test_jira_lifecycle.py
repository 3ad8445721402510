"""A Jira issue follows its finding: open -> resolve -> regress -> mute, on Cloud (v3) and Data Center (v2)."""

from __future__ import annotations

import pytest

from posture.findings.models import Finding, MuteRule
from posture.findings.mutes import apply_mutes
from posture.integrations import tasks
from posture.integrations.jira import sync
from posture.integrations.models import Delivery, DeliveryStatus, Event, Ticket
from tests.integrations.helpers import make_jira, set_estate

BUCKET_RULE = "testcloud.storage.bucket_not_public"


def comment_text(body) -> str:
    """The text of a comment body: wiki markup (v2) or an Atlassian Document (v3)."""
    if isinstance(body, str):
        return body
    out = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "text":
                out.append(node["text"])
            for child in node.get("content", []):
                walk(child)

    walk(body)
    return "".join(out)


@pytest.mark.parametrize("flavor", ["jira_cloud", "jira_dc"])
def test_an_issue_opens_closes_reopens_and_hears_of_mutes(request, flavor, account, estate, scan, after_commit):
    jira = request.getfixturevalue(flavor)
    connection = make_jira(jira)

    scan()  # b-public fails (high: automatic ticket); u-alice lacks MFA (medium: none)
    bucket = Finding.objects.get(rule_id=BUCKET_RULE, resource_uid="b-public")
    [create] = jira.calls("POST", "/issue")
    fields = create.body["fields"]
    assert fields["project"] == {"key": "SEC"} and fields["issuetype"] == {"name": "Bug"}
    assert fields["priority"] == {"name": "High"}
    assert "cloud-security" in fields["labels"] and "posture" in fields["labels"]
    assert fields["summary"].startswith("[Posture] HIGH: Bucket is not public on b-public")
    if flavor == "jira_cloud":
        assert fields["description"]["type"] == "doc"
        assert fields["customfield_10050"] == {"value": "Platform testcloud"}
        assert "b-public" in comment_text(fields["description"])
    else:
        assert f"|https://posture.example.test/findings/{bucket.pk}/]" in fields["description"]
    ticket = Ticket.objects.get(connection=connection)
    assert ticket.key == "SEC-1" and list(ticket.findings.all()) == [bucket]
    assert jira.status_of("SEC-1") == "To Do"

    set_estate(estate, public=False)
    scan()  # resolved: comment, then Done
    assert jira.status_of("SEC-1") == "Done"
    assert "passes now" in comment_text(jira.issues["SEC-1"].comments[-1])
    assert Ticket.objects.get(pk=ticket.pk).done

    set_estate(estate, public=True)
    scan()  # regression: reopened
    assert jira.status_of("SEC-1") == "To Do"
    assert jira.issues["SEC-1"].transitions == ["Done", "To Do"]
    assert "regression" in comment_text(jira.issues["SEC-1"].comments[-1])
    assert not Ticket.objects.get(pk=ticket.pk).done

    MuteRule.objects.create(rule_id=BUCKET_RULE, reason="accepted risk until the migration")
    apply_mutes()  # as the API does; the event has no scan, the sweep picks it up
    with after_commit():
        tasks.sweep()
    assert "was muted. accepted risk" in comment_text(jira.issues["SEC-1"].comments[-1])

    assert len(jira.calls("POST", "/issue")) == 1, "never a second issue for the same finding"
    assert not Delivery.objects.exclude(status__in=[DeliveryStatus.SUCCEEDED]).exists()
    events_sent = list(Delivery.objects.order_by("id").values_list("event", flat=True))
    assert events_sent == [Event.NEW_FAILURE, Event.RESOLVED, Event.REGRESSION, Event.MUTED]


def test_jira_down_for_a_while_is_retried_with_backoff(jira_cloud, account, scan):
    make_jira(jira_cloud)
    jira_cloud.fail_next(2, 503)
    scan()
    d = Delivery.objects.get(event=Event.NEW_FAILURE)
    assert (d.status, d.attempts, d.result) == (DeliveryStatus.SUCCEEDED, 3, "created SEC-1")
    assert len(jira_cloud.calls("POST", "/issue")) == 1


def test_backoff_waits_before_the_next_attempt(jira_cloud, account, scan, settings):
    from posture.integrations.delivery import backoff_seconds, drain

    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 30
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff_seconds(20) == 3600
    connection = make_jira(jira_cloud)
    jira_cloud.fail_next(1, 503)
    scan()
    d = Delivery.objects.get(event=Event.NEW_FAILURE)
    assert (d.status, d.attempts, d.response_code) == (DeliveryStatus.PENDING, 1, 503)
    assert "HTTP 503" in d.error
    wait = (d.next_attempt_at - d.updated_at).total_seconds()
    assert 29 <= wait <= 31
    report = drain("jira", connection.pk)  # not due yet: nothing is attempted
    assert report.next_due_in and report.next_due_in > 20
    assert Delivery.objects.get(pk=d.pk).attempts == 1
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=d.created_at)
    drain("jira", connection.pk)
    assert Delivery.objects.get(pk=d.pk).status == DeliveryStatus.SUCCEEDED


def test_a_crash_between_create_and_store_makes_no_duplicate(jira_cloud, account, scan, monkeypatch):
    make_jira(jira_cloud)
    real_store = sync.store_ticket
    crashes = []

    def store_after_a_crash(*args, **kwargs):
        if not crashes:
            crashes.append(1)
            raise RuntimeError("worker killed after Jira answered 201")
        return real_store(*args, **kwargs)

    monkeypatch.setattr(sync, "store_ticket", store_after_a_crash)
    scan()
    assert crashes, "the crash happened"
    assert len(jira_cloud.calls("POST", "/issue")) == 1
    assert len(jira_cloud.calls("POST", "/search/jql")) == 2  # the retry searched by label first
    assert Ticket.objects.get().key == "SEC-1"
    d = Delivery.objects.get(event=Event.NEW_FAILURE)
    assert (d.status, d.attempts, d.result) == (DeliveryStatus.SUCCEEDED, 2, "found SEC-1")


def test_a_repeated_delivery_uses_the_stored_key(jira_cloud, account, scan, after_commit):
    from posture.integrations.operations import request_ticket

    connection = make_jira(jira_cloud)
    scan()
    with after_commit():
        assert tasks.sweep() == 0  # dispatching again sends nothing twice
    bucket = Finding.objects.get(rule_id=BUCKET_RULE, resource_uid="b-public")
    with after_commit():
        d = request_ticket(connection, bucket, source="cli")
    d.refresh_from_db()
    assert (d.status, d.result) == (DeliveryStatus.SUCCEEDED, "already tracked by SEC-1")
    assert len(jira_cloud.calls("POST", "/issue")) == 1
    assert len(jira_cloud.calls("POST", "/search/jql")) == 1


def test_a_missing_required_field_fails_with_jiras_reason(jira_cloud, account, scan):
    make_jira(jira_cloud, custom_fields={})
    scan()
    d = Delivery.objects.get(event=Event.NEW_FAILURE)
    assert d.status == DeliveryStatus.FAILED and d.response_code == 400 and d.attempts == 1
    assert d.error == "Jira rejected the request (HTTP 400): customfield_10050: Team is required."
    assert not Ticket.objects.exists()


def test_grouping_by_control_lists_resources_and_closes_when_all_pass(jira_dc, account, estate, scan):
    doc_public = {"service": "storage", "region": "r2", "type": "testcloud.storage.bucket", "uid": "b-two"}
    from tests.conftest import estate_doc

    def write(first: bool, second: bool) -> None:
        doc = estate_doc(public=first)
        doc["resources"].append({**doc_public, "config": {"public": second}})
        estate.write(doc)

    make_jira(jira_dc, grouping="control", group_framework="test-benchmark-1.0")
    write(True, True)
    scan()
    [create] = jira_dc.calls("POST", "/issue")
    fields = create.body["fields"]
    assert fields["summary"] == "[Posture] test-benchmark-1.0 1.1 Buckets are private on test-account"
    assert "b-public" in fields["description"] and "b-two" in fields["description"]
    ticket = Ticket.objects.get()
    assert ticket.group_key.startswith("control:test-benchmark-1.0:1.1:") and ticket.findings.count() == 2

    write(False, True)
    scan()
    assert jira_dc.status_of(ticket.key) == "To Do"
    assert "1 resource(s) still fail" in jira_dc.issues[ticket.key].comments[-1]
    write(False, False)
    scan()
    assert jira_dc.status_of(ticket.key) == "Done"
    assert len(jira_dc.calls("POST", "/issue")) == 1
