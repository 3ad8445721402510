"""Every endpoint x role x team: a user sees their teams' accounts (and unowned ones), admins see all.

The routes walked here are data (LISTS, OBJECT_READS, ADMIN_READS, OWN_READS, SUMMARY_READS, CATALOG_READS);
tests/core/test_scoping_coverage.py fails when a URL pattern is in none of them nor in its public list.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from posture.access.tokens import issue_token
from posture.findings.models import Attestation, Finding, FindingEvent, MuteRule
from posture.integrations.models import Delivery, JiraConnection, Ticket, WebhookEndpoint
from posture.inventory.models import CloudAccount
from posture.paths.models import ExposurePath
from tests.conftest import scanned_team_accounts
from tests.support.workloads import stored_image_scan, stored_workload

pytestmark = pytest.mark.django_db


def finding_account(finding_id: int) -> str:
    return Finding.objects.get(pk=finding_id).account.name


LISTS = [
    ("/api/v1/accounts/", lambda item: item["name"]),
    ("/api/v1/scans/", lambda item: item["account"]),
    ("/api/v1/resources/", lambda item: item["account"]),
    ("/api/v1/findings/", lambda item: item["account"]),
    ("/api/v1/findings/changes/?after=0", lambda item: item["account"]),
    ("/api/v1/events/", lambda item: finding_account(item["finding"])),
    ("/api/v1/exposure/", lambda item: item["account"]),
    ("/api/v1/mutes/", lambda item: item["account"]),
    ("/api/v1/attestations/", lambda item: item["account"]),
    ("/api/v1/integrations/tickets/", lambda item: finding_account(item["findings"][0])),
    ("/api/v1/images/", lambda item: item["workloads"][0]["account"]),
    ("/api/v1/images/scans/?imported=false", lambda item: item["account"]),
    ("/api/v1/paths/", lambda item: item["accounts"][0]),
]
# One account's objects, by the placeholders below: 200 where the user sees the account, else 404.
OBJECT_READS = [
    "/api/v1/accounts/{account}/",
    "/api/v1/accounts/{account}/clusters/",
    "/api/v1/scans/{scan}/",
    "/api/v1/scans/{scan}/drift/",
    "/api/v1/scans/{scan}/container-drift/",
    "/api/v1/scans/{scan}/compliance-drift/",
    "/api/v1/resources/{resource}/",
    "/api/v1/workloads/{workload}/",
    "/api/v1/images/scans/{image_scan}/",
    "/api/v1/paths/{path}/",
    "/api/v1/findings/{finding}/",
    "/api/v1/events/{event}/",
    "/api/v1/mutes/{mute}/",
    "/api/v1/attestations/{attestation}/",
    "/api/v1/integrations/tickets/{ticket}/",
    "/api/v1/integrations/tickets/?finding={finding}",
]
# Account summaries narrowed by ?account=NAME: 200 where the user sees it, else 400 as for a missing name.
SUMMARY_READS = [
    "/api/v1/compliance/test-benchmark-1.0/?account={name}",
    "/api/v1/compliance/test-benchmark-1.0/trend/?account={name}",
    "/api/v1/compliance/test-benchmark-1.0/rollup/?account={name}",
    "/api/v1/compliance/test-benchmark-1.0/movement/?account={name}&from=2026-01-01",
    "/api/v1/compliance/?account={name}",
]
# Admins only, whatever the team: 403 for others.
ADMIN_READS = [
    "/api/v1/audit/",
    "/api/v1/audit/{audit}/",
    "/api/v1/integrations/webhooks/",
    "/api/v1/integrations/webhooks/{webhook}/",
    "/api/v1/integrations/jira/",
    "/api/v1/integrations/jira/{jira}/",
    "/api/v1/integrations/deliveries/",
    "/api/v1/integrations/deliveries/{delivery}/",
]
# The user's own objects: another user's are 404 even for an admin.
OWN_READS = ["/api/v1/tokens/", "/api/v1/tokens/{token}/"]
# The rule catalogue: no account data.
CATALOG_READS = ["/api/v1/frameworks/", "/api/v1/frameworks/test-benchmark-1.0/"]


@pytest.fixture
def estate_of_teams(estate):
    return {team: account.name for team, account in scanned_team_accounts(estate).items()}


@pytest.fixture
def objects_of_teams(estate_of_teams) -> dict[str, dict[str, int | str]]:
    """Per team, one of each kind of object hanging off its account (placeholders of OBJECT_READS)."""
    jira = JiraConnection(name="jira", flavor="cloud", base_url="http://127.0.0.1:9/", project_key="SEC")
    jira.token = "jira-token"
    jira.save()
    objects = {}
    for team, name in estate_of_teams.items():
        account = CloudAccount.objects.get(name=name)
        finding = Finding.objects.filter(account=account).order_by("id").first()
        ticket = Ticket.objects.create(
            connection=jira, group_key=f"finding:{finding.pk}", key=f"SEC-{finding.pk}", label=f"l{finding.pk}"
        )
        ticket.findings.add(finding)
        objects[team] = {
            "name": name,
            "account": account.pk,
            "scan": account.scans.order_by("id").first().pk,
            "resource": account.resources.order_by("id").first().pk,
            "finding": finding.pk,
            "event": FindingEvent.objects.filter(finding__account=account).order_by("id").first().pk,
            "mute": MuteRule.objects.create(account=account, rule_id="r.none", reason=team or "shared").pk,
            "attestation": attest(account),
            "ticket": ticket.pk,
            "workload": stored_workload(account).pk,
            "image_scan": stored_image_scan(account).pk,
            "path": stored_path(account),
        }
    return objects


def stored_path(account: CloudAccount) -> int:
    """An exposure path through the account alone."""
    path = ExposurePath.objects.create(
        key=f"path-{account.pk}",
        title=account.name,
        target_kind="data",
        rank=40,
        opened_at=timezone.now(),
        last_seen=timezone.now(),
    )
    path.accounts.add(account)
    return path.pk


def attest(account: CloudAccount) -> int:
    """An attestation of the account's own (the test framework's manual control)."""
    return Attestation.objects.create(
        framework_id="test-benchmark-1.0",
        control_id="1.2",
        account=account,
        result="pass",
        note="reviewed",
        expires_at=timezone.now() + timedelta(days=30),
        created_at=timezone.now(),
    ).pk


def admin_objects() -> dict[str, int]:
    from posture.access.models import AuditLog

    hook = WebhookEndpoint(name="hook", url="http://127.0.0.1:9/", events=["finding.new_failure"])
    hook.secret = "hook-secret"
    hook.save()
    delivery = Delivery.objects.create(
        webhook=hook, event="finding.new_failure", dedupe_key="d1", next_attempt_at="2026-01-01T00:00Z"
    )
    return {
        "audit": AuditLog.objects.order_by("id").first().pk,
        "webhook": hook.pk,
        "jira": JiraConnection.objects.get().pk,
        "delivery": delivery.pk,
    }


def user(role: str, *teams: str, suffix: str = "") -> User:
    u = User.objects.create_user(f"{role}-{'-'.join(teams) or 'none'}{suffix}", password="a-long-test-password")
    u.groups.add(Group.objects.get(name=role))
    for team in teams:
        u.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
    return u


PEOPLE = [
    ("viewer", ("red",), {"red", ""}),
    ("analyst", ("blue",), {"blue", ""}),
    ("analyst", ("red", "blue"), {"red", "blue", ""}),
    ("viewer", (), {""}),
    ("admin", (), {"red", "blue", ""}),
]


@pytest.mark.parametrize(("role", "teams", "visible"), PEOPLE)
def test_every_list_shows_only_the_users_accounts(client, objects_of_teams, role, teams, visible) -> None:
    estate_of_teams = {team: objects["name"] for team, objects in objects_of_teams.items()}
    client.force_login(user(role, *teams))
    expected = {estate_of_teams[t] for t in visible}
    for url, account_of in LISTS:
        body = client.get(url).json()
        seen = {account_of(item) for item in body["results"]}
        assert seen == expected, url
    exported = json.loads(b"".join(client.get("/api/v1/findings/export/?format=json").streaming_content))
    assert {f["account"] for f in exported} == expected
    compliance = client.get("/api/v1/compliance/test-benchmark-1.0/").json()
    assert compliance["accounts"] == len(expected)


def test_other_teams_objects_are_not_found_nor_scannable(client, estate_of_teams) -> None:
    client.force_login(user("analyst", "red"))
    blue_finding = Finding.objects.filter(account__name=estate_of_teams["blue"]).first()
    assert client.get(f"/api/v1/findings/{blue_finding.pk}/").status_code == 404
    assert client.get(f"/api/v1/compliance/test-benchmark-1.0/?account={estate_of_teams['blue']}").status_code == 400
    refused = client.post("/api/v1/scans/", {"account": estate_of_teams["blue"]}, content_type="application/json")
    assert refused.status_code == 400
    mute = client.post(
        "/api/v1/mutes/",
        {"account": estate_of_teams["blue"], "rule_id": "x", "reason": "r"},
        content_type="application/json",
    )
    assert mute.status_code == 400
    everywhere = client.post("/api/v1/mutes/", {"rule_id": "x", "reason": "r"}, content_type="application/json")
    assert everywhere.status_code == 400 and "only admins" in everywhere.content.decode()
    mine = client.post(
        "/api/v1/mutes/",
        {"account": estate_of_teams["red"], "rule_id": "x", "reason": "r"},
        content_type="application/json",
    )
    assert mine.status_code == 201


@pytest.mark.parametrize(("role", "teams", "visible"), PEOPLE)
def test_every_route_x_role_x_team(client, objects_of_teams, role, teams, visible) -> None:
    """Each account's objects through every route: 200 when the user sees the account, else 404 like a missing id."""
    me = user(role, *teams)
    client.force_login(me)
    for team, objects in objects_of_teams.items():
        for template in OBJECT_READS:
            url = template.format(**objects)
            response = client.get(url)
            if team in visible:
                assert response.status_code == 200, url
                if "?finding=" in url:
                    assert response.json()["results"][0]["id"] == objects["ticket"]
            else:
                missing = client.get(template.format(**{key: 999999 for key in objects}))
                assert response.status_code in (400, 404), url  # 400: the ticket filter's "not a valid choice"
                assert (response.status_code, response.content) == (missing.status_code, missing.content), url
        for template in SUMMARY_READS:
            url = template.format(**objects)
            response = client.get(url)
            if team in visible:
                assert response.status_code == 200, url
            else:
                missing = client.get(template.format(name="no-such-account"))
                assert response.status_code == missing.status_code == 400, url
                assert response.content.replace(objects["name"].encode(), b"X") == missing.content.replace(
                    b"no-such-account", b"X"
                ), url
    admin_ids = admin_objects()
    for template in ADMIN_READS:
        response = client.get(template.format(**admin_ids))
        assert response.status_code == (200 if role == "admin" else 403), template
    for template in CATALOG_READS:
        assert client.get(template).status_code == 200, template
    mine = issue_token(me, "mine")[0]
    theirs = issue_token(user("admin", suffix="-other"), "theirs")[0]
    assert client.get(OWN_READS[1].format(token=mine.pk)).status_code == 200
    assert client.get(OWN_READS[1].format(token=theirs.pk)).status_code == 404
    assert [t["id"] for t in client.get(OWN_READS[0]).json()["results"]] == [mine.pk]


def test_a_ticket_for_another_teams_finding_is_refused_as_missing(client, objects_of_teams) -> None:
    client.force_login(user("analyst", "red"))
    tickets = Ticket.objects.count()
    blue = client.post(
        "/api/v1/integrations/tickets/",
        {"connection": "jira", "finding": objects_of_teams["blue"]["finding"]},
        content_type="application/json",
    )
    missing = client.post(
        "/api/v1/integrations/tickets/", {"connection": "jira", "finding": 999999}, content_type="application/json"
    )
    assert blue.status_code == missing.status_code == 400
    assert blue.content.replace(str(objects_of_teams["blue"]["finding"]).encode(), b"N") == missing.content.replace(
        b"999999", b"N"
    )
    assert Ticket.objects.count() == tickets and not Delivery.objects.exists()
