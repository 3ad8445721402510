"""Every page x team: a user sees their teams' accounts (and unowned ones), as the API does; admins see all.

Three testcloud accounts (team red, team blue, no team), each scanned once; a viewer of red,
an analyst of blue and an admin walk every page. Another team's account name never appears in
any page's HTML, and another team's objects are 404 or refused like missing ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from posture.access.tokens import issue_token
from posture.findings.models import Finding, MuteRule
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan
from tests.api.test_team_scoping import attest
from tests.conftest import scanned_team_accounts
from tests.frontend.conftest import PASSWORD, client_for
from tests.frontend.test_compliance_drift_clusters import _failing, _resource
from tests.frontend.test_pages import PAGES
from tests.support.fingerprint import fingerprint
from tests.support.workloads import stored_image_scan, stored_workload

pytestmark = pytest.mark.django_db

TEAMS = ("red", "blue", "")
# (role, teams, teams whose accounts it sees)
PEOPLE = [
    ("viewer", ("red",), {"red", ""}),
    ("analyst", ("blue",), {"blue", ""}),
    ("admin", (), {"red", "blue", ""}),
]
# Pages with no object in the path; the object pages are added per visible account below.
LISTS = [
    "/",
    "/?days=90",
    "/findings/",
    "/findings/?group=control",
    "/findings/?group=resource",
    "/findings/?status=FAIL&size=100",
    "/compliance/",
    "/compliance/test-benchmark-1.0/",
    "/compliance/test-benchmark-1.0/report/",
    "/compliance/test-benchmark-1.0/controls/1.1/",
    "/compliance/test-benchmark-1.0/scores/?by=team",
    "/compliance/test-benchmark-1.0/scores/?by=account&days=90",
    "/compliance/test-benchmark-1.0/movement/",
    "/clusters/",
    "/drift/",
    "/images/",
    "/exposure/",
    "/paths/",
    "/scans/",
    "/accounts/",
    "/settings/",
]


def name_of(team: str) -> str:
    return f"acct-{team or 'shared'}"


@pytest.fixture
def estate_of_teams(estate) -> dict[str, CloudAccount]:
    accounts = scanned_team_accounts(estate, tuple(TEAMS))
    for account in accounts.values():  # each team's images and workload pages show that team's names
        stored_workload(account)
    return accounts


def person(role: str, *teams: str) -> User:
    user = User.objects.create_user(f"{role}-{'-'.join(teams) or 'all'}", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for team in teams:
        user.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
    return user


# One account's pages, by placeholder: {finding}, {scan}, {account} (ids) and {name}.
OBJECT_PAGES = [
    "/findings/{finding}/",
    "/scans/{scan}/",
    "/scans/{scan}/row/",
    "/drift/?scan={scan}",
    "/accounts/{account}/",
    "/workloads/{workload}/",
    "/images/{image_digest}/",
    "/findings/?account={name}",
    "/compliance/test-benchmark-1.0/?account={name}",
    "/compliance/test-benchmark-1.0/scores/?account={name}",
    "/compliance/test-benchmark-1.0/movement/?team={team}",
]
EXPORTS = [
    "/findings/export/?format=json",
    "/findings/export/?format=csv",
    "/compliance/test-benchmark-1.0/report.pdf",  # its text: tests/frontend/test_report.py
]
# Every request that changes something, with another team's objects (or another user's) in it.
EXPIRES = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
PAGE_WRITES = [
    ("post", "/findings/{finding}/mute/", {"reason": "not mine"}),
    ("post", "/findings/{finding}/unmute/", {}),
    ("post", "/findings/bulk/", {"ids": "{finding}", "action": "mute", "reason": "x"}),
    ("post", "/scans/start/", {"account": "{account}"}),
    ("post", "/scans/{scan}/cancel/", {}),
    ("post", "/scans/{scan}/baseline/", {}),
    ("post", "/clusters/scan-inside/", {"via": "{account}", "cluster": "c", "name": "inside"}),
    ("get", "/accounts/new/", {}),
    ("post", "/accounts/new/", {"provider": "testcloud", "name": "new-one", "team": "{team}"}),
    ("post", "/accounts/{account}/", {"team": "mine", "regions": ""}),
    ("post", "/accounts/{account}/test/", {}),
    ("post", "/accounts/{account}/remove/", {"confirm": "{name}"}),
    ("post", "/settings/mutes/", {"account": "{account}", "rule_id": "x", "reason": "r"}),
    ("post", "/settings/mutes/{mute}/revoke/", {}),
    (
        "post",
        "/compliance/test-benchmark-1.0/controls/1.2/attest/",
        {"scope": "account", "account": "{account}", "result": "pass", "note": "n", "expires": EXPIRES},
    ),
    ("post", "/attestations/{attestation}/revoke/", {}),
    ("post", "/settings/tokens/{token}/revoke/", {}),
    ("post", "/settings/users/{user}/role/", {"role": "admin"}),
    ("post", "/findings/{finding}/ticket/", {"connection": "jira"}),
    # integrations: admins only (who see every account); a 403 for anyone else, whatever the id
    ("get", "/settings/integrations/webhook/new/", {}),
    ("post", "/settings/integrations/jira/new/", {"name": "j", "flavor": "cloud", "team": "{team}"}),
    ("get", "/settings/integrations/webhook/1/", {}),
    ("post", "/settings/integrations/webhook/1/test/", {}),
    ("post", "/settings/integrations/jira/1/remove/", {"confirm": "j"}),
    ("post", "/settings/deliveries/1/resend/", {}),
]


def objects_of(account: CloudAccount) -> dict[str, object]:
    return {
        "finding": Finding.objects.filter(account=account).order_by("id").first().pk,
        "scan": account.scans.order_by("-id").first().pk,
        "account": account.pk,
        "workload": stored_workload(account).pk,
        "image_digest": stored_image_scan(account).digest,
        "name": account.name,
        "team": account.team,
    }


def object_pages(account: CloudAccount) -> list[str]:
    return [url.format(**objects_of(account)) for url in OBJECT_PAGES]


@pytest.mark.parametrize(("role", "teams", "visible"), PEOPLE)
def test_every_page_shows_only_the_users_accounts(estate_of_teams, role, teams, visible) -> None:
    client = client_for(person(role, *teams))
    hidden = set(TEAMS) - visible
    urls = LISTS + [url for team in sorted(visible) for url in object_pages(estate_of_teams[team])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for team in hidden:
            assert name_of(team) not in html, (url, team)
            assert f"<option>{team}</option>" not in html, (url, team)  # the team picker
    for url in ("/", "/findings/?size=100", "/scans/", "/accounts/", "/compliance/"):
        html = client.get(url).content.decode()
        assert all(name_of(team) in html for team in visible), url
    exported = json.loads(b"".join(client.get(EXPORTS[0]).streaming_content))
    assert {f["account"] for f in exported} == {name_of(t) for t in visible}
    csv_body = b"".join(client.get(EXPORTS[1]).streaming_content).decode()
    assert all(name_of(team) not in csv_body for team in hidden)


@pytest.mark.parametrize(("role", "teams", "visible"), PEOPLE)
def test_another_teams_objects_are_not_found(estate_of_teams, role, teams, visible) -> None:
    client = client_for(person(role, *teams))
    for team in set(TEAMS) - visible:
        account = estate_of_teams[team]
        finding = Finding.objects.filter(account=account).first()
        scan = account.scans.first()
        for url in (
            f"/findings/{finding.pk}/",
            f"/scans/{scan.pk}/",
            f"/scans/{scan.pk}/row/",
            f"/drift/?scan={scan.pk}",
            f"/accounts/{account.pk}/",
            f"/workloads/{stored_workload(account).pk}/",
            f"/images/{stored_image_scan(account).digest}/",
        ):
            assert client.get(url).status_code == 404, url
        assert client.get(f"/drift/?scan={Scan.objects.order_by('-id').first().pk + 100}").status_code == 404
        listed = client.get(f"/findings/?account={account.name}")
        assert listed.context["page"].rows == []
        compliance = client.get(f"/compliance/test-benchmark-1.0/?account={account.name}")
        assert compliance.context["summary"]["accounts"] == 0
        assert "No account named" in compliance.content.decode()  # as for a name that does not exist
        exported = json.loads(
            b"".join(client.get(f"/findings/export/?format=json&account={account.name}").streaming_content)
        )
        assert exported == []


def test_an_analyst_cannot_triage_or_scan_another_teams_account(estate_of_teams) -> None:
    client = client_for(person("analyst", "blue"))
    red = estate_of_teams["red"]
    red_finding = Finding.objects.filter(account=red, status="FAIL").first()
    red_scan = red.scans.first()
    scans_before = Scan.objects.count()

    assert client.post(f"/findings/{red_finding.pk}/mute/", {"reason": "not mine"}).status_code == 404
    assert client.post(f"/findings/{red_finding.pk}/unmute/").status_code == 404
    response = client.post("/findings/bulk/", {"ids": [red_finding.pk], "action": "mute", "reason": "x"}, follow=True)
    assert "tick at least one finding" in response.content.decode()
    assert not MuteRule.objects.exists()

    response = client.post("/scans/start/", {"account": red.pk}, follow=True)
    assert "Choose an account to scan." in response.content.decode()  # as for an account that does not exist
    assert Scan.objects.count() == scans_before
    assert client.post(f"/scans/{red_scan.pk}/cancel/").status_code == 404

    response = client.post("/settings/mutes/", {"account": red.pk, "rule_id": "x", "reason": "r"}, follow=True)
    assert "no such account" in response.content.decode()
    response = client.post("/settings/mutes/", {"rule_id": "x", "reason": "r"}, follow=True)
    assert "only admins mute across every account" in response.content.decode()
    assert not MuteRule.objects.exists()
    blue = estate_of_teams["blue"]
    response = client.post("/settings/mutes/", {"account": blue.pk, "rule_id": "x", "reason": "r"}, follow=True)
    assert "created" in response.content.decode()
    assert MuteRule.objects.get().account == blue


def test_mute_rules_are_listed_and_revoked_within_the_users_accounts(estate_of_teams) -> None:
    admin = person("admin")
    red_rule = MuteRule.objects.create(account=estate_of_teams["red"], rule_id="r.red", reason="red's")
    global_rule = MuteRule.objects.create(rule_id="r.everywhere", reason="everyone's", created_by=admin)
    blue_rule = MuteRule.objects.create(account=estate_of_teams["blue"], rule_id="r.blue", reason="blue's")
    analyst = client_for(person("analyst", "blue"))

    html = analyst.get("/settings/").content.decode()
    assert "r.blue" in html and "r.everywhere" in html and "r.red" not in html
    assert '<option value="">Any account</option>' not in html  # only admins mute across every account
    assert analyst.post(f"/settings/mutes/{red_rule.pk}/revoke/").status_code == 404
    assert analyst.post(f"/settings/mutes/{global_rule.pk}/revoke/").status_code == 403
    assert analyst.post(f"/settings/mutes/{blue_rule.pk}/revoke/").status_code == 302
    red_rule.refresh_from_db()
    global_rule.refresh_from_db()
    blue_rule.refresh_from_db()
    assert red_rule.revoked_at is None and global_rule.revoked_at is None and blue_rule.revoked_at is not None

    admin_client = client_for(admin)
    assert '<option value="">Any account</option>' in admin_client.get("/settings/").content.decode()
    assert admin_client.post(f"/settings/mutes/{global_rule.pk}/revoke/").status_code == 302


def test_an_analyst_cannot_unmute_what_a_rule_across_every_account_mutes(estate_of_teams) -> None:
    admin = client_for(person("admin"))
    finding = Finding.objects.filter(account=estate_of_teams["blue"], status="FAIL").first()
    admin.post("/settings/mutes/", {"rule_id": finding.rule_id, "reason": "accepted everywhere"})
    finding.refresh_from_db()
    assert finding.muted and finding.mute_rule.account_id is None

    analyst = client_for(person("analyst", "blue"))
    response = analyst.post(f"/findings/{finding.pk}/unmute/", follow=True)
    assert "only admins revoke it" in response.content.decode()
    response = analyst.post("/findings/bulk/", {"ids": [finding.pk], "action": "unmute"}, follow=True)
    assert "only admins revoke it" in response.content.decode()
    finding.refresh_from_db()
    assert finding.muted
    admin.post(f"/findings/{finding.pk}/unmute/")
    finding.refresh_from_db()
    assert not finding.muted


def test_clusters_of_another_team_are_hidden(db, make_user) -> None:
    for team in TEAMS:
        kube = CloudAccount.objects.create(provider="kubernetes", name=f"kube-{team or 'shared'}", team=team)
        _failing(_resource(kube, "kubernetes.workloads.workload", f"default/deploy/{team or 'shared'}"), "high")
    aws_blue = CloudAccount.objects.create(provider="aws", name="aws-blue", team="blue")
    _resource(aws_blue, "aws.eks.cluster", "arn:eks/blue-payments", name="blue-payments")

    html = client_for(person("viewer", "red")).get("/clusters/").content.decode()
    assert "kube-red" in html and "kube-shared" in html
    assert "kube-blue" not in html and "blue-payments" not in html and "aws-blue" not in html

    html = client_for(person("admin")).get("/clusters/").content.decode()
    assert all(name in html for name in ("kube-red", "kube-blue", "kube-shared", "blue-payments"))


QUERY_PAGES = [(url, n) for url, n in PAGES if url not in ("/accounts/new/", "/settings/")]


@pytest.mark.parametrize(("url", "queries"), QUERY_PAGES)
def test_scoping_adds_no_query(url, queries, estate_of_teams, django_assert_num_queries) -> None:
    """A team member's page runs as many queries as an admin's: the groups are read once per request."""
    red = estate_of_teams["red"]
    finding = Finding.objects.filter(account=red).order_by("id").first()
    scan = red.scans.order_by("-id").first()
    target = url.format(account=red.pk, finding=finding.pk, scan=scan.pk, workload=stored_workload(red).pk)
    client: Client = client_for(person("analyst", "red"))  # an analyst sees the forms an admin sees
    with django_assert_num_queries(queries):
        assert client.get(target).status_code == 200


def test_ids_too_large_for_the_database_are_missing_not_errors(estate_of_teams) -> None:
    analyst = client_for(person("analyst", "blue"))
    huge = str(2**70)
    assert analyst.get(f"/drift/?scan={huge}").status_code == 404
    response = analyst.post("/scans/start/", {"account": huge}, follow=True)
    assert "Choose an account to scan." in response.content.decode()
    response = analyst.post("/settings/mutes/", {"account": huge, "rule_id": "x", "reason": "r"}, follow=True)
    assert "no such account" in response.content.decode()
    response = client_for(person("admin")).post(
        "/settings/mutes/", {"account": "junk", "rule_id": "x", "reason": "r"}, follow=True
    )
    assert "no such account" in response.content.decode()  # not a rule across every account
    response = analyst.post("/findings/bulk/", {"ids": [huge], "action": "mute", "reason": "x"}, follow=True)
    assert "tick at least one finding" in response.content.decode()
    assert not MuteRule.objects.exists()


def _outcome(client: Client, method: str, url: str, data: dict[str, str], ids: dict[str, object]) -> tuple:
    """Status, where it led and what it said, with the ids written as their placeholder names."""
    response = getattr(client, method)(url, data, follow=True)
    said = [str(m) for m in response.context["messages"]] if response.context and "messages" in response.context else []
    said_text = " | ".join(said)
    chain = " ".join(url for url, _ in response.redirect_chain)
    for key, value in sorted(ids.items(), key=lambda kv: -len(str(kv[1]))):
        if str(value):
            chain = chain.replace(str(value), f"<{key}>")
            said_text = said_text.replace(str(value), f"<{key}>")
    return response.status_code, chain, said_text


@pytest.mark.parametrize(("role", "teams", "hidden"), [("viewer", ("red",), "blue"), ("analyst", ("blue",), "red")])
def test_every_write_with_another_teams_ids_is_as_with_missing_ones(estate_of_teams, role, teams, hidden) -> None:
    """Guessed ids of objects the user cannot see: the same answer as ids that exist nowhere, and nothing changes."""
    me = person(role, *teams)
    other = person("viewer", "elsewhere")
    account = estate_of_teams[hidden]
    theirs = dict(objects_of(account))
    theirs["mute"] = MuteRule.objects.create(account=account, rule_id="r.x", reason="theirs").pk
    theirs["attestation"] = attest(account)
    theirs["token"] = issue_token(other, "theirs")[0].pk
    theirs["user"] = other.pk
    missing = {key: 999000 + i for i, key in enumerate(theirs)} | {"name": "no-such-account", "team": "no-such-team"}
    client = client_for(me)
    before = fingerprint()
    for method, template, body in PAGE_WRITES:
        outcomes = []
        for ids in (theirs, missing):
            data = {key: value.format(**ids) for key, value in body.items()}
            outcomes.append(_outcome(client, method, template.format(**ids), data, ids))
        assert outcomes[0] == outcomes[1], (template, outcomes)
        assert outcomes[0][0] in (200, 403, 404), (template, outcomes)
        assert fingerprint() == before, template
