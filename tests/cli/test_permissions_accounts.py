"""accounts test --permissions: a collection that stores nothing names each permission the credentials lack.

Against a moto server with IAM enforcement on, for a user holding the printed policy without one action.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO

import boto3
import pytest
import requests
from django.core.management import CommandError, call_command
from moto.iam.access_control import IAMRequestBase

from emulators.aws.estate import REGION, build_estate
from posture.inventory.models import Resource
from tests.collectors.aws.conftest import aws_env, moto_server, server_client, server_url  # noqa: F401
from tests.collectors.test_permissions_aws import moto_actions

pytestmark = pytest.mark.django_db


def user_with(url: str, policy: dict) -> dict[str, str]:
    for statement in policy["Statement"]:
        statement["Action"] = moto_actions(statement["Action"])
    iam = boto3.client("iam", region_name=REGION, endpoint_url=url)
    iam.create_user(UserName="posture")
    iam.put_user_policy(UserName="posture", PolicyName="posture-reader", PolicyDocument=json.dumps(policy))
    return iam.create_access_key(UserName="posture")["AccessKey"]


@pytest.fixture
def enforced(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    """IAM enforcement on the moto server (same process) from now until the test ends."""
    monkeypatch.setattr(IAMRequestBase, "check_signature", lambda self: None)  # see test_permissions_aws
    yield server_url
    requests.post(f"{server_url}/moto-api/reset-auth", data=b"inf", timeout=10).raise_for_status()


def add_account(url: str, key: dict[str, str]) -> None:
    call_command(
        "accounts", "add", "aws", "--name", "locked", "--endpoint-url", url, "--regions", REGION,
        "--access-key-id", key["AccessKeyId"], "--secret-access-key", key["SecretAccessKey"],
        stdout=StringIO(),
    )  # fmt: skip


def printed_policy() -> dict:
    out = StringIO()
    call_command("permissions", "aws", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_a_missing_action_is_named_and_nothing_is_stored(enforced: str) -> None:
    build_estate(server_client(enforced))
    policy = printed_policy()
    policy["Statement"][0]["Action"].remove("iam:GetAccountSummary")
    policy["Statement"][0]["Action"].remove("s3:GetBucketPolicy")
    key = user_with(enforced, policy)
    add_account(enforced, key)
    requests.post(f"{enforced}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()

    out = StringIO()
    with pytest.raises(CommandError, match="locked: 4 call\\(s\\) denied"):
        call_command("accounts", "test", "locked", "--permissions", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("locked: credentials work (aws id 123456789012;")
    assert lines[1] == (
        "locked: denied: iam in global: access was denied (ClientError, AccessDenied, HTTP 403, in "
        "GetAccountSummary); the credentials lack iam:GetAccountSummary; `manage.py permissions aws` prints "
        "what a scan needs"
    )
    assert sorted(line.split(": ")[2].split(" ")[1] for line in lines[2:]) == [
        "posture-private", "posture-public", "posture-trail-logs",
    ]  # fmt: skip
    assert all("the credentials lack s3:GetBucketPolicy;" in line for line in lines[2:])
    assert key["SecretAccessKey"] not in out.getvalue() and key["AccessKeyId"] not in out.getvalue()
    assert not Resource.objects.exists()


def test_the_printed_policy_passes(enforced: str) -> None:
    build_estate(server_client(enforced))
    add_account(enforced, user_with(enforced, printed_policy()))
    requests.post(f"{enforced}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()

    out = StringIO()
    call_command("accounts", "test", "locked", "--permissions", stdout=out)

    assert out.getvalue().splitlines()[-1] == "locked: every collector's calls were allowed"


def test_a_refused_bulk_inventory_is_named_beside_the_service_listings() -> None:
    """Azure: Resource Graph refused, the storage listing refused: each named, once; nothing stored."""
    from emulators.azure import ArmEmulator
    from emulators.azure.demo import SUB, demo_estate
    from tests.collectors.azure.conftest import TOKEN

    with ArmEmulator(demo_estate(), token=TOKEN) as emulator:
        call_command(
            "accounts", "add", "azure", "--name", "sub", "--resource-manager-url", emulator.url,
            "--access-token", TOKEN, "--subscription-id", SUB, stdout=StringIO(),
        )  # fmt: skip
        emulator.fail("Microsoft.ResourceGraph", 403)
        emulator.fail("/storageAccounts", 403)
        out = StringIO()
        with pytest.raises(CommandError, match="sub: 2 call\\(s\\) denied"):
            call_command("accounts", "test", "sub", "--permissions", stdout=out)
    lines = out.getvalue().splitlines()[1:]
    assert lines[0].startswith("sub: denied: storage in global: access was denied")
    assert "Microsoft.Storage/storageAccounts/read" in lines[0]
    assert lines[1].startswith("sub: denied: bulk inventory: access was denied")
    assert "the credentials lack Microsoft.ResourceGraph/resources/read" in lines[1]
    assert not Resource.objects.exists()
