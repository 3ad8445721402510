"""Every endpoint x role x team: a user sees their teams' accounts (and unowned ones), admins see all."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, User

from posture.findings.models import Finding
from posture.inventory.accounts import AccountInput, create_account
from posture.scans.pipeline import create_scan, run_scan

pytestmark = pytest.mark.django_db

LISTS = [
    ("/api/v1/accounts/", lambda item: item["name"]),
    ("/api/v1/scans/", lambda item: item["account"]),
    ("/api/v1/resources/", lambda item: item["account"]),
    ("/api/v1/findings/", lambda item: item["account"]),
    ("/api/v1/findings/changes/?after=0", lambda item: item["account"]),
]


@pytest.fixture
def estate_of_teams(estate):
    names = {}
    for team in ("red", "blue", ""):
        name = f"acct-{team or 'shared'}"
        account = create_account(
            AccountInput(
                provider="testcloud", name=name, regions=[], credentials={"estate": str(estate.path)}, team=team
            )
        )
        run_scan(create_scan(account).pk)
        names[team] = name
    return names


def user(role: str, *teams: str) -> User:
    u = User.objects.create_user(f"{role}-{'-'.join(teams) or 'none'}", password="a-long-test-password")
    u.groups.add(Group.objects.get(name=role))
    for team in teams:
        u.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
    return u


@pytest.mark.parametrize(
    ("role", "teams", "visible"),
    [
        ("viewer", ("red",), {"red", ""}),
        ("analyst", ("blue",), {"blue", ""}),
        ("analyst", ("red", "blue"), {"red", "blue", ""}),
        ("viewer", (), {""}),
        ("admin", (), {"red", "blue", ""}),
    ],
)
def test_every_list_shows_only_the_users_accounts(client, estate_of_teams, role, teams, visible) -> None:
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
