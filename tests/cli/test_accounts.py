"""accounts add|list|update|remove|test: what users and scripts rely on."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from posture.access.models import AuditLog
from posture.inventory.models import CloudAccount

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def database_rows() -> tuple[int, int]:
    return CloudAccount.objects.count(), AuditLog.objects.count()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nocloud", "--name", "x"], "unknown provider 'nocloud'"),
        (["aws", "--name", "x", "--regions", "us-east-1,,eu-west-1"], "empty item"),
        (["aws", "--name", "x", "--regions", "Mars Base"], "not aws region names"),
        (["aws", "--name", "x", "--access-key-id", "AKIAEXAMPLE"], "missing credentials: --secret-access-key"),
        (["aws", "--name", "x", "--profile", "p", "--access-key-id", "a", "--secret-access-key", "s"], "choose one"),
        (["aws", "--name", "x", "--role-arn", "not-an-arn"], "is not an IAM role ARN"),
        (["aws", "--name", "x", "--estate", "/tmp/e.json"], "--estate do not apply to aws"),
        (["aws", "--name", "bad name!"], "use letters, digits"),
        (["aws", "--name", "x", "--endpoint-url", "ftp://x"], "is not an http(s) URL"),
        (["aws", "--name", "x", "--label", "novalue"], "is not KEY=VALUE"),
        (["testcloud", "--name", "x"], "testcloud accounts need credentials"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(args: list[str], message: str) -> None:
    before = database_rows()
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("accounts", "add", *args)
    assert database_rows() == before


def test_add_list_update_remove(tmp_path) -> None:
    out = run(
        "accounts",
        "add",
        "aws",
        "--name",
        "prod",
        "--regions",
        "us-east-1,eu-west-1",
        "--team",
        "payments",
        "--label",
        "env=prod",
        "--access-key-id",
        "AKIAEXAMPLE",
        "--secret-access-key",
        "s3cr3t-value",
    )
    assert "added aws account prod" in out
    account = CloudAccount.objects.get(name="prod")
    assert account.regions == ["us-east-1", "eu-west-1"] and account.labels == {"env": "prod"}
    assert "s3cr3t-value" not in account.credentials_encrypted
    assert account.credentials == {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t-value"}

    listed = json.loads(run("accounts", "list", "--format", "json"))
    assert listed[0]["name"] == "prod" and listed[0]["has_credentials"] is True
    assert "s3cr3t" not in json.dumps(listed)
    assert "prod" in run("accounts", "list")

    with pytest.raises(CommandError, match="exists already"):
        call_command("accounts", "add", "aws", "--name", "prod")

    run("accounts", "update", "prod", "--regions", "eu-west-1", "--disable")
    account.refresh_from_db()
    assert account.regions == ["eu-west-1"] and account.enabled is False
    assert account.credentials["secret_access_key"] == "s3cr3t-value"

    assert "removed prod" in run("accounts", "remove", "prod")
    assert not CloudAccount.objects.exists()
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["account.create", "account.update", "account.remove"]
    assert "s3cr3t" not in json.dumps(list(AuditLog.objects.values("detail")))


@pytest.mark.parametrize("command", [["remove"], ["test"], ["update", "--team", "x"]])
def test_unknown_account_is_an_error(command: list[str]) -> None:
    with pytest.raises(CommandError, match="no account named 'ghost'"):
        call_command("accounts", command[0], "ghost", *command[1:])


def test_test_records_the_providers_own_id(account) -> None:
    out = run("accounts", "test", account.name)
    assert "credentials work" in out
    account.refresh_from_db()
    assert account.external_id == "test-0001" and account.verified_at is not None


def test_test_with_broken_credentials_is_a_clear_error(account, estate) -> None:
    estate.path.unlink()
    with pytest.raises(CommandError, match="the credentials do not work"):
        call_command("accounts", "test", account.name)
    account.refresh_from_db()
    assert account.external_id == "" and account.verified_at is None
