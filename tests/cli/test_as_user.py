"""--as-user: the command line scoped and refused exactly as the API is, for the user named."""

from __future__ import annotations

import json
from contextlib import redirect_stdout
from io import StringIO

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from posture.access.models import AuditLog
from posture.scans.models import Scan
from tests.conftest import scanned_team_accounts

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def export(*args: str) -> list[dict]:
    """findings export writes to the process's standard output; read it back through a file."""
    out = StringIO()
    with redirect_stdout(out):
        call_command("findings", "export", "--format", "json", *args)
    return json.loads(out.getvalue())


def person(role: str, *teams: str, active: bool = True) -> User:
    user = User.objects.create_user(f"{role}-{'-'.join(teams) or 'all'}", password="a-long-test-password")
    user.is_active = active
    user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for team in teams:
        user.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
    return user


@pytest.fixture
def teams(estate) -> dict[str, str]:
    return {team: account.name for team, account in scanned_team_accounts(estate).items()}


def exported(*args: str) -> set[str]:
    return {f["account"] for f in export(*args)}


def listed(*args: str) -> set[str]:
    return {a["name"] for a in json.loads(run("accounts", "list", "--format", "json", *args))}


@pytest.mark.parametrize(
    ("role", "user_teams", "visible"),
    [
        ("viewer", ("red",), {"red", ""}),
        ("analyst", ("blue",), {"blue", ""}),
        ("analyst", ("red", "blue"), {"red", "blue", ""}),
        ("viewer", (), {""}),
        ("admin", (), {"red", "blue", ""}),
    ],
)
def test_reads_see_what_the_api_shows_that_user(teams, client, role, user_teams, visible) -> None:
    user = person(role, *user_teams)
    expected = {teams[t] for t in visible}
    assert listed("--as-user", user.username) == expected
    assert exported("--as-user", user.username) == expected
    client.force_login(user)
    api = json.loads(b"".join(client.get("/api/v1/findings/export/?format=json").streaming_content))
    assert {f["account"] for f in api} == expected  # the same answer as the API
    assert {a["name"] for a in client.get("/api/v1/accounts/").json()["results"]} == expected
    table = run("accounts", "list", "--as-user", user.username)
    assert all(teams[t] in table for t in visible)
    assert not any(teams[t] in table for t in {"red", "blue", ""} - visible)


def test_without_as_user_the_operator_sees_everything(teams) -> None:
    assert listed() == set(teams.values())
    assert exported() == set(teams.values())


def test_another_teams_account_is_missing_not_forbidden(teams) -> None:
    viewer = person("viewer", "red")
    with pytest.raises(CommandError, match="no account named 'acct-blue'") as refused:
        export("--account", teams["blue"], "--as-user", viewer.username)
    assert "acct-blue" not in str(refused.value).split("(accounts:")[1]  # the hint lists only visible accounts
    own = export("--account", teams["red"], "--as-user", viewer.username)
    assert own and {f["account"] for f in own} == {teams["red"]}


def test_export_filters_are_the_apis(teams, client) -> None:
    """--status and --framework go through the API's FindingFilter: same rows, same refusals."""
    admin = person("admin")
    client.force_login(admin)
    cli = export("--status", "fail", "--framework", "test-benchmark-1.0")
    api = json.loads(
        b"".join(
            client.get(
                "/api/v1/findings/export/?format=json&status=FAIL&framework=test-benchmark-1.0"
            ).streaming_content
        )
    )
    assert cli == api and {f["status"] for f in cli} == {"FAIL"}
    with pytest.raises(CommandError, match=r"--status .*BOGUS"):
        export("--status", "bogus")
    with pytest.raises(CommandError, match="--framework unknown framework"):
        export("--framework", "nope")


@pytest.mark.parametrize(
    "command",
    [
        ["accounts", "list"],
        ["findings", "export", "--format", "json"],
        ["scan", "acct-shared"],
        ["purge"],
        ["credentials", "rotate"],
    ],
)
def test_unknown_or_inactive_user_is_one_clear_error(teams, command) -> None:
    person("admin", active=False)
    for name in ("ghost", "admin-all"):
        with pytest.raises(CommandError, match=f"--as-user '{name}': no active user of that name"):
            run(*command, "--as-user", name)
    roleless = User.objects.create_user("nobody", password="a-long-test-password")
    with pytest.raises(CommandError, match="--as-user 'nobody': the user has no role"):
        run(*command, "--as-user", roleless.username)
    assert Scan.objects.count() == 3


def test_scan_needs_an_analyst_who_sees_the_account(teams) -> None:
    before = Scan.objects.count()
    viewer = person("viewer", "red")
    with pytest.raises(CommandError, match="the viewer role may not start scans"):
        run("scan", teams["red"], "--as-user", viewer.username)
    analyst = person("analyst", "red")
    with pytest.raises(CommandError, match="no account named 'acct-blue'"):
        run("scan", teams["blue"], "--as-user", analyst.username)
    assert Scan.objects.count() == before

    out = run("scan", teams["red"], "--as-user", analyst.username)
    assert f"of {teams['red']}: succeeded" in out
    scan = Scan.objects.latest("id")
    assert scan.requested_by == analyst and scan.trigger == "cli"
    entry = AuditLog.objects.filter(action="scan.start").latest("id")
    assert (entry.actor, entry.actor_label, entry.source) == (analyst, analyst.username, "cli")

    out = run("scan", "--all", "--as-user", analyst.username)
    assert teams["red"] in out and teams[""] in out and teams["blue"] not in out


@pytest.mark.parametrize(
    ("command", "action"),
    [(["purge", "--days", "30"], "history.purge"), (["credentials", "rotate"], "credentials.rotate")],
)
def test_purge_and_rotate_are_for_admins(teams, command, action) -> None:
    for role in ("viewer", "analyst"):
        user = person(role, "red")
        with pytest.raises(CommandError, match=f"the {role} role may not"):
            run(*command, "--as-user", user.username)
    assert not AuditLog.objects.filter(action=action).exists()
    admin = person("admin")
    run(*command, "--as-user", admin.username)
    entry = AuditLog.objects.get(action=action)
    assert (entry.actor, entry.source) == (admin, "cli")
    run(*command)  # the operator
    assert AuditLog.objects.filter(action=action, actor__isnull=True, actor_label__startswith="cli").exists()


def test_account_changes_need_an_admin_and_are_recorded_as_them(teams, estate) -> None:
    analyst = person("analyst", "red")
    for args in (
        ["update", teams["red"], "--team", "blue"],
        ["remove", teams["red"]],
        ["test", teams["red"]],
        ["add", "testcloud", "--name", "new", "--estate", str(estate.path)],
    ):
        with pytest.raises(CommandError, match="the analyst role may not"):
            run("accounts", *args, "--as-user", analyst.username)
    admin = person("admin")
    run("accounts", "update", teams["red"], "--label", "env=prod", "--as-user", admin.username)
    entry = AuditLog.objects.filter(action__startswith="account.").latest("id")
    assert (entry.actor, entry.source) == (admin, "cli")


def test_exports_are_audited_with_the_user(teams) -> None:
    viewer = person("viewer", "red")
    with redirect_stdout(StringIO()):
        call_command("findings", "export", "--format", "csv", "--status", "FAIL", "--as-user", viewer.username)
    entry = AuditLog.objects.get(action="findings.export")
    assert (entry.actor, entry.source) == (viewer, "cli")
    assert entry.detail == {"format": "csv", "status": "FAIL"}


def test_help_says_the_default_is_the_operator(capsys) -> None:
    from posture.findings.management.commands.findings import Command

    parser = Command().create_parser("manage.py", "findings")
    help_text = parser._subparsers._group_actions[0].choices["export"].format_help()
    assert "--as-user USERNAME" in help_text and "the operator, with full access" in " ".join(help_text.split())
