"""Bad account input names its field: the page marks it, the API answers {field: [message]}, the CLI names the option.

The same input goes through all three surfaces (one builder, posture.inventory.account_input) and is refused
the same way, with nothing written.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client

from posture.inventory.account_input import account_changes, new_account
from posture.inventory.accounts import AccountInputError, create_account, update_account
from posture.inventory.models import CloudAccount

pytestmark = pytest.mark.django_db

# (values under the AccountInput names, the field, a piece of the message, the CLI option, the API field)
CASES = [
    ({"regions": "us-east-1,,x"}, "regions", "empty item", "--regions", "regions"),
    ({"regions": "Mars Base"}, "regions", "not testcloud region names", "--regions", "regions"),
    ({"endpoint_url": "ftp://x"}, "endpoint_url", "is not an http(s) URL", "--endpoint-url", "endpoint_url"),
    ({"endpoint_url": "http://169.254.169.254/"}, "endpoint_url", "169.254.169.254", "--endpoint-url", "endpoint_url"),
    ({"labels": ["novalue"]}, "labels", "is not KEY=VALUE", "--label", "labels"),
    ({"schedule": "sometimes"}, "schedule", "must be one of", "--schedule", "scan_schedule"),
    ({"name": "bad name!"}, "name", "use letters, digits", "--name", "name"),
    ({"name": "test-account"}, "name", "exists already", "--name", "name"),
    ({"provider": "nocloud"}, "provider", "unknown provider 'nocloud'", None, "provider"),
    ({"credentials": {}}, "credentials", "testcloud accounts need credentials", None, "credentials"),
]
# argparse refuses a schedule outside its choices before the command runs
CLI_CASES = [c for c in CASES if c[1] != "schedule"]
# The serializer refuses these first (a blank region, a non-http URL, an unknown provider or schedule); labels are
# an object there
SERIALIZER_REFUSES = ("us-east-1,,x", "ftp://x", "nocloud", "sometimes")
API_CASES = [c for c in CASES if c[1] != "labels" and not set(map(str, c[0].values())) & set(SERIALIZER_REFUSES)]
PARAMS = ("bad", "field", "text", "option", "api_field")


def ids(cases: list[tuple]) -> list[str]:
    return [f"{c[1]}-{c[2].split()[0]}" for c in cases]


def values(estate: Any, bad: dict[str, Any]) -> dict[str, Any]:
    good = {"provider": "testcloud", "name": "acct-2", "credentials": {"estate": str(estate.path)}}
    return {**good, **bad}


def rows() -> tuple[int, int]:
    from posture.access.models import AuditLog

    return CloudAccount.objects.count(), AuditLog.objects.count()


def admin_client() -> Client:
    user = User.objects.create_user("admin-user", password="a-long-test-password")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(PARAMS, CASES, ids=ids(CASES))
def test_the_error_carries_its_field_not_an_option_in_its_text(account, estate, bad, field, text, option, api_field):
    before = rows()
    with pytest.raises(AccountInputError) as caught:
        create_account(new_account(values(estate, bad)), source="web")
    assert caught.value.field == field and text in str(caught.value)
    assert not str(caught.value).startswith("--")
    assert rows() == before


@pytest.mark.parametrize(PARAMS, CLI_CASES, ids=ids(CLI_CASES))
def test_the_command_line_names_the_option(account, estate, bad, field, text, option, api_field):
    v = values(estate, bad)
    args = [v["provider"], "--name", v["name"]]
    for name in ("regions", "endpoint_url", "schedule"):
        if name in bad:
            args += ["--" + name.replace("_", "-"), bad[name]]
    args += [item for label in bad.get("labels", []) for item in ("--label", label)]
    args += [item for k, value in v["credentials"].items() for item in ("--" + k, value)]
    before = rows()
    with pytest.raises(CommandError) as caught:
        call_command("accounts", "add", *args)
    message = str(caught.value)
    assert text in message
    assert message.startswith(f"{option}: ") if option else not message.startswith("--")
    assert rows() == before


@pytest.mark.parametrize(PARAMS, API_CASES, ids=ids(API_CASES))
def test_the_api_answers_field_and_message(account, estate, bad, field, text, option, api_field):
    v = values(estate, bad)
    body = {**v, "regions": bad["regions"].split(",")} if "regions" in bad else v
    before = rows()
    response = admin_client().post("/api/v1/accounts/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    answer = response.json()
    assert list(answer) == [api_field] and text in answer[api_field][0], answer
    assert rows() == before


@pytest.mark.parametrize(PARAMS, CASES, ids=ids(CASES))
def test_the_page_marks_the_field(account, estate, bad, field, text, option, api_field):
    v = values(estate, bad)
    form = {k: value for k, value in v.items() if k != "credentials"}
    form.update({f"cred.{v['provider']}.{k}": value for k, value in v["credentials"].items()})
    if "labels" in bad:
        form["labels"] = " ".join(bad["labels"])
    before = rows()
    response = admin_client().post("/accounts/new/", form)
    assert response.status_code == 200
    assert list(response.context["errors"]) == [field] and text in response.context["errors"][field]
    assert rows() == before


def test_an_update_names_the_field_too(account) -> None:
    with pytest.raises(AccountInputError) as caught:
        update_account(account, account_changes({"regions": "a,,b", "team": "x"}), source="web")
    assert caught.value.field == "regions"
    account.refresh_from_db()
    assert account.team == "" and account.regions == []


def test_changes_hold_only_what_was_given() -> None:
    assert account_changes({"regions": None, "team": " payments ", "schedule": "none", "credentials": {}}) == {
        "team": "payments",
        "schedule": "",
    }
    assert account_changes({"labels": "env=prod tier=web", "enabled": False, "credentials": {"a": "b", "c": ""}}) == {
        "labels": {"env": "prod", "tier": "web"},
        "enabled": False,
        "credentials": {"a": "b"},
    }
