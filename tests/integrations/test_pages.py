"""Settings → Integrations and the finding's ticket card: the API's rules through the pages, secrets never shown."""

from __future__ import annotations

from django.test import Client

from posture.access.models import AuditLog
from posture.findings.models import Finding
from posture.integrations.models import Delivery, DeliveryStatus, Event, JiraConnection, WebhookEndpoint
from tests.integrations.helpers import SECRET, make_jira, make_webhook

OTHER_SECRET = "another-secret-just-as-long"
EVENTS = ["finding.new_failure", "finding.resolved"]


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def said(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def webhook_form(url: str, **fields) -> dict:
    return {"name": "siem", "enabled": "on", "url": url, "events": EVENTS, "secret": SECRET, **fields}


def test_an_admin_adds_edits_tests_and_removes_a_webhook(user_with_role, receiver) -> None:
    admin = client_for(user_with_role("admin"))
    assert "Add webhook" in admin.get("/settings/").content.decode()

    bad = admin.post(
        "/settings/integrations/webhook/new/", webhook_form("ftp://example.test/", secret="short!", events=[])
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and not WebhookEndpoint.objects.exists()
    for field in ("url", "secret", "events"):
        assert f'data-error-for="{field}"' in html, field
    assert "use an http:// or https:// URL" in html and "short!" not in html

    made = admin.post("/settings/integrations/webhook/new/", webhook_form(receiver.url, severities=["high"]))
    hook = WebhookEndpoint.objects.get(name="siem")
    assert made.status_code == 302 and made["Location"] == f"/settings/integrations/webhook/{hook.pk}/"
    assert (hook.secret, hook.events, hook.severities, hook.enabled) == (SECRET, EVENTS, ["high"], True)
    page = admin.get(made["Location"]).content.decode()
    assert SECRET not in page and "A secret is stored: leave empty to keep it." in page

    kept = admin.post(made["Location"], webhook_form(receiver.url, secret="", events=["scan.failed"], enabled=""))
    assert kept.status_code == 302
    hook.refresh_from_db()
    assert hook.secret == SECRET and hook.events == ["scan.failed"] and hook.severities == [] and not hook.enabled
    admin.post(made["Location"], webhook_form(receiver.url, secret=OTHER_SECRET, enabled="on"))
    hook.refresh_from_db()
    assert hook.secret == OTHER_SECRET and hook.enabled

    tested = admin.post(f"/settings/integrations/webhook/{hook.pk}/test/", follow=True)
    assert said(tested)[-1] == "Test passed: HTTP 204"
    html = tested.content.decode()
    assert "test" in html and "succeeded" in html and OTHER_SECRET not in html and SECRET not in html
    assert receiver.received and receiver.received[-1].headers["Posture-Event"] == "test"

    kept = admin.post(f"/settings/integrations/webhook/{hook.pk}/remove/", {"confirm": "wrong"}, follow=True)
    assert "Type the integration's name" in said(kept)[0] and WebhookEndpoint.objects.exists()
    gone = admin.post(f"/settings/integrations/webhook/{hook.pk}/remove/", {"confirm": "siem"}, follow=True)
    assert said(gone) == ["Removed siem and its delivery log."] and not WebhookEndpoint.objects.exists()

    audit = list(AuditLog.objects.filter(source="web").values_list("action", flat=True))
    assert sorted(set(audit)) == [
        "integration.test",
        "integration.webhook.create",
        "integration.webhook.delete",
        "integration.webhook.update",
    ]
    details = str(list(AuditLog.objects.values_list("detail", flat=True)))
    assert SECRET not in details and OTHER_SECRET not in details


def test_plain_http_is_refused_outside_the_allowed_networks(user_with_role, settings) -> None:
    settings.ALLOWED_NETWORKS = []
    admin = client_for(user_with_role("admin"))
    refused = admin.post("/settings/integrations/webhook/new/", webhook_form("http://127.0.0.1:9/hook"))
    assert 'data-error-for="url"' in refused.content.decode() and not WebhookEndpoint.objects.exists()
    assert SECRET not in refused.content.decode()


def jira_form(emulator, **fields) -> dict:
    form = {
        "name": "jira-sec",
        "enabled": "on",
        "flavor": "cloud",
        "base_url": emulator.url,
        "email": emulator.email,
        "token": emulator.token,
        "project_key": "SEC",
        "issue_type": "Bug",
        "grouping": "finding",
        "priority.critical": "Highest",
        "priority.high": "High",
        "labels": "cloud-security posture",
        "custom_fields": '{"customfield_10050": {"value": "Platform {provider}"}}',
    }
    return {**form, **fields}


def test_an_admin_connects_jira_and_the_token_stays_secret(user_with_role, jira_cloud) -> None:
    admin = client_for(user_with_role("admin"))
    bad = admin.post(
        "/settings/integrations/jira/new/", jira_form(jira_cloud, email="", project_key="sec", custom_fields="{oops")
    )
    html = bad.content.decode()
    assert 'data-error-for="custom_fields"' in html and "not JSON" in html and jira_cloud.token not in html
    for fields, field in (({"project_key": "sec"}, "project_key"), ({"email": ""}, "email")):
        html = admin.post("/settings/integrations/jira/new/", jira_form(jira_cloud, **fields)).content.decode()
        assert f'data-error-for="{field}"' in html and jira_cloud.token not in html
    assert not JiraConnection.objects.exists()

    made = admin.post("/settings/integrations/jira/new/", jira_form(jira_cloud))
    assert made.status_code == 302, made.content.decode()[:2000]
    conn = JiraConnection.objects.get()
    assert conn.token == jira_cloud.token and conn.priorities == {"critical": "Highest", "high": "High"}
    assert conn.labels == ["cloud-security", "posture"] and conn.custom_fields["customfield_10050"]
    page = admin.get(made["Location"]).content.decode()
    assert jira_cloud.token not in page and "A token is stored" in page and "customfield_10050" in page

    tested = admin.post(f"/settings/integrations/jira/{conn.pk}/test/", follow=True)
    assert said(tested)[-1:] == ["Test passed: signed in to Jira as Posture Bot; project SEC (Security) is reachable"]
    admin.post(made["Location"], jira_form(jira_cloud, token=""))
    conn.refresh_from_db()
    assert conn.token == jira_cloud.token
    admin.post(made["Location"], jira_form(jira_cloud, token="a-wrong-token"))
    failed = admin.post(f"/settings/integrations/jira/{conn.pk}/test/", follow=True)
    assert said(failed)[-1].startswith("Test failed (HTTP 401): Jira refused the credentials")
    assert "a-wrong-token" not in failed.content.decode()


def test_the_delivery_log_shows_failures_and_resends_them(user_with_role, receiver, after_commit) -> None:
    hook = make_webhook(receiver, ["scan.failed"])
    failed = Delivery.objects.create(
        webhook=hook,
        event=Event.SCAN_FAILED,
        dedupe_key="scan:1",
        payload={"scan": {"id": 1}},
        status=DeliveryStatus.FAILED,
        attempts=8,
        response_code=503,
        error="the endpoint answered HTTP 503 eight times",
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    admin = client_for(user_with_role("admin"))
    html = admin.get("/settings/").content.decode()
    assert "the endpoint answered HTTP 503 eight times" in html and f"Resend delivery {failed.pk}" in html
    assert "scan.failed" in html and ">8<" in html
    with after_commit():
        resent = admin.post(f"/settings/deliveries/{failed.pk}/resend/", follow=True)
    assert said(resent) == [f"Delivery #{failed.pk} queued again."]
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.SUCCEEDED and receiver.received[-1].headers["Posture-Event"] == "scan.failed"
    again = admin.post(f"/settings/deliveries/{failed.pk}/resend/", follow=True)
    assert "only failed deliveries are sent again" in said(again)[0]
    assert AuditLog.objects.filter(action="integration.resend", source="web").count() == 1


def test_non_admins_see_nothing_of_integrations(user_with_role, receiver, jira_cloud) -> None:
    hook = make_webhook(receiver, ["scan.failed"], name="hidden-hook")
    conn = make_jira(jira_cloud, name="hidden-jira")
    d = Delivery.objects.create(
        webhook=hook,
        event=Event.SCAN_FAILED,
        dedupe_key="x",
        status=DeliveryStatus.FAILED,
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    for role in ("viewer", "analyst"):
        client = client_for(user_with_role(role))
        html = client.get("/settings/").content.decode()
        assert "hidden-hook" not in html and "hidden-jira" not in html and "Delivery log" not in html
        for url in (
            "/settings/integrations/webhook/new/",
            f"/settings/integrations/webhook/{hook.pk}/",
            f"/settings/integrations/jira/{conn.pk}/",
        ):
            assert client.get(url).status_code == 403, url
            assert client.post(url, {"name": "x"}).status_code == 403, url
        for url in (
            f"/settings/integrations/webhook/{hook.pk}/test/",
            f"/settings/integrations/jira/{conn.pk}/remove/",
            f"/settings/deliveries/{d.pk}/resend/",
        ):
            assert client.post(url, {"confirm": "hidden-jira"}).status_code == 403, url
    assert WebhookEndpoint.objects.count() == 1 and JiraConnection.objects.count() == 1
    assert not receiver.received and not AuditLog.objects.filter(action__startswith="integration").exists()
    assert client_for(user_with_role("admin")).get("/settings/integrations/slack/new/").status_code == 404


def test_the_ticket_card_shows_the_real_ticket_or_offers_one(user_with_role, jira_cloud, account, scan) -> None:
    scan()
    mfa = Finding.objects.get(rule_id="testcloud.iam.user_has_mfa")
    analyst, viewer = client_for(user_with_role("analyst")), client_for(user_with_role("viewer"))
    url = f"/findings/{mfa.pk}/"
    html = analyst.get(url).content.decode()
    assert "No ticket." in html and "Create ticket" not in html  # no Jira connection yet

    narrow = make_jira(jira_cloud, name="jira-critical", auto_severities=[], severities=["critical"])
    assert "Create ticket" not in analyst.get(url).content.decode()  # it does not take this finding
    refused = analyst.post(f"{url}ticket/", {"connection": narrow.name}, follow=True)
    assert said(refused) == [f"No ticket: jira-critical takes findings of severity critical only, not {mfa.severity}"]

    conn = make_jira(jira_cloud, auto_severities=[])
    html = analyst.get(url).content.decode()
    assert "Create ticket in SEC" in html and f'value="{conn.name}"' in html
    assert "Create ticket" not in viewer.get(url).content.decode()
    assert viewer.post(f"{url}ticket/", {"connection": conn.name}).status_code == 403

    made = analyst.post(f"{url}ticket/", {"connection": conn.name}, follow=True)
    assert said(made) == [f"Ticket SEC-1 opened in {conn.name}."]
    html = viewer.get(url).content.decode()
    assert f'href="{jira_cloud.url}/browse/SEC-1"' in html and ">open</span>" in html and "Create ticket" not in html
    assert len(jira_cloud.calls("POST", "/issue")) == 1
    assert AuditLog.objects.filter(action="integration.ticket.request", source="web").count() == 1


def test_the_forms_run_a_fixed_number_of_queries_and_no_inline_script(
    user_with_role, receiver, jira_cloud, account, django_assert_num_queries
) -> None:
    """Session, user, groups; the accounts and (edit) the target with its accounts and its recent deliveries."""
    hook = make_webhook(receiver, ["scan.failed"], accounts=[account])
    conn = make_jira(jira_cloud)
    for n in range(30):
        Delivery.objects.create(webhook=hook, event=Event.TEST, dedupe_key=f"t{n}", next_attempt_at="2026-01-01T00:00Z")
    admin = client_for(user_with_role("admin"))
    for url, queries in (
        ("/settings/integrations/webhook/new/", 4),
        ("/settings/integrations/jira/new/", 4),
        (f"/settings/integrations/webhook/{hook.pk}/", 7),
        (f"/settings/integrations/jira/{conn.pk}/", 7),
    ):
        with django_assert_num_queries(queries):
            html = admin.get(url).content.decode()
        assert "<script>" not in html and "<script " not in html.replace('<script src="', ""), url
        for handler in ("onclick=", "onchange=", "onload=", "onsubmit=", ' style="'):
            assert handler not in html, (url, handler)
