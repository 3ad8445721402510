"""The integrations API: admins manage and test integrations, secrets never come back, analysts ask for tickets."""

from __future__ import annotations

from rest_framework.test import APIClient

from posture.access.models import AuditLog
from posture.findings.models import Finding
from posture.integrations.models import JiraConnection, Ticket, WebhookEndpoint
from posture.inventory.accounts import AccountInput, create_account
from tests.integrations.helpers import SECRET, make_jira

BASE = "/api/v1/integrations"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_admin_adds_a_webhook_and_the_secret_stays_secret(user_with_role, receiver) -> None:
    admin = client_for(user_with_role("admin"))
    body = {"name": "siem", "url": receiver.url, "secret": SECRET, "events": ["finding.new_failure", "scan.failed"]}
    created = admin.post(f"{BASE}/webhooks/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["has_secret"] is True and "secret" not in created.json()
    stored = WebhookEndpoint.objects.get(name="siem")
    assert SECRET not in stored.secret_encrypted and stored.secret == SECRET
    listed = admin.get(f"{BASE}/webhooks/").json()["results"]
    assert SECRET not in str(listed)
    tested = admin.post(f"{BASE}/webhooks/{stored.pk}/test/")
    assert tested.status_code == 200 and tested.json()["ok"] is True
    log = admin.get(f"{BASE}/deliveries/", {"webhook": stored.pk}).json()["results"]
    assert [(d["event"], d["status"], d["attempts"], d["response_code"]) for d in log] == [
        ("test", "succeeded", 1, 204)
    ]
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"integration.webhook.create", "integration.test"} <= actions
    assert SECRET not in str(list(AuditLog.objects.values_list("detail", flat=True)))


def test_bad_input_is_a_400_naming_the_field(user_with_role) -> None:
    admin = client_for(user_with_role("admin"))
    bad = admin.post(
        f"{BASE}/webhooks/",
        {
            "name": "x",
            "url": "ftp://example.test/",
            "secret": "short",
            "events": ["finding.exploded"],
            "frameworks": ["no-such-framework"],
            "severities": ["dire"],
        },
        format="json",
    )
    assert bad.status_code == 400
    assert {"url", "secret", "events", "frameworks", "severities"} <= set(bad.json())
    jira = admin.post(
        f"{BASE}/jira/",
        {
            "name": "j",
            "flavor": "cloud",
            "base_url": "http://127.0.0.1:9",
            "token": "t",
            "project_key": "sec",
            "grouping": "control",
            "custom_fields": {"bad field": 1},
            "priorities": {"dire": "Highest"},
        },
        format="json",
    )
    assert jira.status_code == 400
    assert {"project_key", "custom_fields", "priorities"} <= set(jira.json())
    jira = admin.post(
        f"{BASE}/jira/",
        {
            "name": "j",
            "flavor": "cloud",
            "base_url": "http://127.0.0.1:9",
            "token": "t",
            "project_key": "SEC",
            "grouping": "control",
        },
        format="json",
    )
    assert jira.status_code == 400 and {"email", "group_framework"} <= set(jira.json())


def test_only_admins_see_and_change_integrations(user_with_role, jira_cloud) -> None:
    make_jira(jira_cloud)
    for role in ("viewer", "analyst"):
        client = client_for(user_with_role(role))
        assert client.get(f"{BASE}/jira/").status_code == 403
        assert client.get(f"{BASE}/deliveries/").status_code == 403
        assert client.post(f"{BASE}/webhooks/", {}, format="json").status_code == 403
    assert client_for(user_with_role("admin")).get(f"{BASE}/jira/").status_code == 200


def test_a_bad_token_gives_a_clear_error_on_the_test_endpoint(user_with_role, jira_cloud) -> None:
    admin = client_for(user_with_role("admin"))
    body = {
        "name": "jira",
        "flavor": "cloud",
        "base_url": jira_cloud.url,
        "email": jira_cloud.email,
        "token": "not-the-right-token",
        "project_key": "SEC",
        "auto_severities": ["critical"],
    }
    created = admin.post(f"{BASE}/jira/", body, format="json")
    assert created.status_code == 201, created.json()
    assert "not-the-right-token" not in str(created.json()) and created.json()["has_token"] is True
    pk = created.json()["id"]
    tested = admin.post(f"{BASE}/jira/{pk}/test/")
    assert tested.status_code == 400
    assert tested.json()["detail"].startswith("Jira refused the credentials (HTTP 401): check the email and API token")
    assert "You are not authenticated" in tested.json()["detail"]
    assert tested.json()["response_code"] == 401
    assert admin.get(f"{BASE}/jira/{pk}/").json()["last_error"].startswith("Jira refused the credentials")

    fixed = admin.patch(f"{BASE}/jira/{pk}/", {"token": jira_cloud.token}, format="json")
    assert fixed.status_code == 200
    tested = admin.post(f"{BASE}/jira/{pk}/test/")
    assert tested.status_code == 200
    assert tested.json()["detail"] == "signed in to Jira as Posture Bot; project SEC (Security) is reachable"
    connection = JiraConnection.objects.get(pk=pk)
    assert connection.verified_at is not None and connection.last_error == ""


def test_a_wrong_project_is_named(user_with_role, jira_dc) -> None:
    connection = make_jira(jira_dc, project_key="NOPE")
    tested = client_for(user_with_role("admin")).post(f"{BASE}/jira/{connection.pk}/test/")
    assert tested.status_code == 400
    assert tested.json()["detail"] == "Jira has no such thing (HTTP 404): No project could be found with key 'NOPE'."


def test_an_analyst_creates_a_ticket_by_hand(user_with_role, jira_cloud, account, scan) -> None:
    connection = make_jira(jira_cloud, auto_severities=[])  # nothing automatic
    scan()
    assert not jira_cloud.calls("POST", "/issue")
    mfa = Finding.objects.get(rule_id="testcloud.iam.user_has_mfa")
    analyst = client_for(user_with_role("analyst"))
    made = analyst.post(f"{BASE}/tickets/", {"connection": connection.name, "finding": mfa.pk}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["key"] == "SEC-1" and made.json()["url"] == f"{jira_cloud.url}/browse/SEC-1"
    again = analyst.post(f"{BASE}/tickets/", {"connection": connection.name, "finding": mfa.pk}, format="json")
    assert again.json()["key"] == "SEC-1"
    assert len(jira_cloud.calls("POST", "/issue")) == 1
    assert Ticket.objects.get().findings.get() == mfa
    viewer = client_for(user_with_role("viewer"))
    assert viewer.get(f"{BASE}/tickets/", {"finding": mfa.pk}).json()["results"][0]["key"] == "SEC-1"
    assert viewer.post(f"{BASE}/tickets/", {"connection": connection.name, "finding": mfa.pk}).status_code == 403
    assert AuditLog.objects.filter(action="integration.ticket.request").count() == 2
    assert viewer.get(f"{BASE}/tickets/", {"finding": 10**22}).status_code == 400
    assert viewer.get(f"{BASE}/tickets/", {"connection": "jira-cloud"}).json()["results"][0]["key"] == "SEC-1"
    assert viewer.get(f"{BASE}/tickets/", {"nonsense": 1}).status_code == 400


def test_a_ticket_by_hand_keeps_to_the_connections_scope(user_with_role, jira_cloud, account, estate, scan) -> None:
    """A connection for one account's critical findings takes no other finding, even by hand."""
    scan()
    mfa = Finding.objects.get(rule_id="testcloud.iam.user_has_mfa")
    assert mfa.severity != "critical"
    other = create_account(
        AccountInput(provider="testcloud", name="other-account", regions=[], credentials={"estate": str(estate.path)}),
        source="cli",
    )
    connection = make_jira(jira_cloud, auto_severities=[], severities=["critical"])
    connection.accounts.set([other])
    analyst = client_for(user_with_role("analyst"))

    def ask() -> dict:
        answer = analyst.post(f"{BASE}/tickets/", {"connection": connection.name, "finding": mfa.pk}, format="json")
        assert answer.status_code == 400, answer.json()
        return answer.json()

    refused = ask()["finding"][0]
    assert refused == (
        f"jira-cloud takes findings of account other-account only, not test-account; of severity critical only,"
        f" not {mfa.severity}"
    )
    connection.accounts.set([account])
    JiraConnection.objects.filter(pk=connection.pk).update(frameworks=["cis-aws-foundations-7.0"])
    refused = ask()["finding"][0]
    assert "account" not in refused and "frameworks cis-aws-foundations-7.0 only (not testcloud" in refused
    assert not jira_cloud.calls("POST", "/issue") and not connection.deliveries.exists()

    JiraConnection.objects.filter(pk=connection.pk).update(severities=[mfa.severity, "critical"], frameworks=[])
    made = analyst.post(f"{BASE}/tickets/", {"connection": connection.name, "finding": mfa.pk}, format="json")
    assert made.status_code == 201, made.json()
    assert len(jira_cloud.calls("POST", "/issue")) == 1


def test_urls_into_internal_networks_are_refused(user_with_role, settings) -> None:
    admin = client_for(user_with_role("admin"))
    metadata = {"name": "meta", "url": "http://169.254.169.254/latest/", "secret": SECRET, "events": ["scan.failed"]}
    refused = admin.post(f"{BASE}/webhooks/", metadata, format="json")
    assert refused.status_code == 400 and "link-local, metadata" in refused.json()["url"][0]
    settings.ALLOWED_NETWORKS = []  # loopback is allowed in the tests only
    body = {
        "name": "j",
        "flavor": "datacenter",
        "base_url": "http://127.0.0.1:8080",
        "token": "t",
        "project_key": "SEC",
    }
    refused = admin.post(f"{BASE}/jira/", body, format="json")
    assert refused.status_code == 400 and "POSTURE_ALLOWED_NETWORKS" in refused.json()["base_url"][0]


def test_a_stored_url_that_now_points_inside_is_refused_at_send_time(user_with_role, receiver, jira_dc, settings):
    from posture.integrations.operations import check_target

    hook = WebhookEndpoint(name="hook", url=receiver.url, events=["scan.finished"])
    hook.secret = SECRET
    hook.save()
    connection = make_jira(jira_dc)
    settings.ALLOWED_NETWORKS = []
    result = check_target(hook, source="cli")
    assert not result.ok and result.detail.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert not receiver.received
    result = check_target(connection, source="cli")
    assert not result.ok and result.detail.startswith("refused: 127.0.0.1 resolves to 127.0.0.1")
    assert not jira_dc.requests


PUBLIC = "93.184.216.34"  # an IP literal: resolving it needs no network


def test_plain_http_is_refused_outside_the_allowed_networks(user_with_role, settings) -> None:
    """Tokens and signatures do not travel in clear, except to the operator's own networks."""
    admin = client_for(user_with_role("admin"))
    hook = {"name": "h", "url": f"http://{PUBLIC}/hooks", "secret": SECRET, "events": ["scan.failed"]}
    refused = admin.post(f"{BASE}/webhooks/", hook, format="json")
    assert refused.status_code == 400
    assert refused.json()["url"][0] == (
        f"http://{PUBLIC}/hooks is plain http: the token or signature would travel in clear; use https"
        " (plain http is accepted only to networks listed in POSTURE_ALLOWED_NETWORKS)"
    )
    jira = {"name": "j", "flavor": "datacenter", "base_url": f"http://{PUBLIC}", "token": "t", "project_key": "SEC"}
    refused = admin.post(f"{BASE}/jira/", jira, format="json")
    assert refused.status_code == 400 and "is plain http" in refused.json()["base_url"][0]
    assert not WebhookEndpoint.objects.exists() and not JiraConnection.objects.exists()

    assert admin.post(f"{BASE}/webhooks/", {**hook, "url": f"https://{PUBLIC}/hooks"}, format="json").status_code == 201
    settings.ALLOWED_NETWORKS = [f"{PUBLIC}/32"]
    allowed = admin.post(f"{BASE}/jira/", jira, format="json")
    assert allowed.status_code == 201, allowed.json()


def test_plain_http_is_refused_at_send_time(user_with_role, receiver, jira_dc, monkeypatch) -> None:
    """A URL stored before (or a name that now resolves to a public address) is refused when sending."""
    from posture import security
    from posture.integrations.operations import check_target

    hook = WebhookEndpoint(name="hook", url=receiver.url, events=["scan.finished"])
    hook.secret = SECRET
    hook.save()
    connection = make_jira(jira_dc)
    assert check_target(hook, source="cli").ok  # loopback is an allowed network in the tests
    receiver.received.clear()
    monkeypatch.setattr(security, "_resolve", lambda host: [PUBLIC])
    result = check_target(hook, source="cli")
    assert not result.ok and result.detail.startswith(f"refused: {receiver.url} is plain http")
    assert not receiver.received
    result = check_target(connection, source="cli")
    assert not result.ok and result.detail.startswith(f"refused: {jira_dc.url} is plain http")
    assert not jira_dc.requests
