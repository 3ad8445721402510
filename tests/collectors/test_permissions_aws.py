"""AWS: every call a collector makes is declared, and the printed policy alone lets a scan of the estate finish.

The calls are recorded with botocore's ``before-call`` event while each collector runs against the estate on
moto; the policy is checked with moto's IAM enforcement (``INITIAL_NO_AUTH_ACTION_COUNT`` = 0) for a user
that has nothing but that policy.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import warnings
from collections.abc import Iterator
from io import StringIO
from typing import Any

import boto3
import pytest
from django.core.management import call_command
from moto import mock_aws
from moto.core import enable_iam_authentication
from moto.iam.access_control import IAMRequestBase
from moto.iam.aws_managed_policies import aws_managed_policies_data

import collectors.aws  # noqa: F401  (registers the collectors)
from collectors.aws import PROVIDER
from collectors.aws.actions import MANAGED_POLICIES, NO_GRANT, NOT_IN_MANAGED, action_of
from collectors.permissions import required
from collectors.records import Target
from collectors.registry import REGISTRY
from collectors.run import collect, plan
from emulators.aws.estate import ACCOUNT, REGION, build_estate
from tests.collectors.aws.conftest import FAKE_ENV, local_client

# moto authorizes a few calls under other names than IAM does; the policy moto sees is the printed one, renamed.
MOTO_NAMES = {
    "cloudwatch:DescribeAlarms": "monitoring:DescribeAlarms",  # moto uses the signing name as the prefix
    "s3:GetBucketPublicAccessBlock": "s3:GetPublicAccessBlock",
    "s3:GetAccountPublicAccessBlock": "s3:GetPublicAccessBlock",
    "s3:GetEncryptionConfiguration": "s3:ListBucket",  # moto's S3 action map has no ?encryption entry
    # IAM authorizes API Gateway reads as apigateway:GET; moto by operation
    "apigateway:GET": ("apigateway:GetRestApis", "apigateway:GetStages", "apigateway:GetApis"),
}


def moto_actions(actions: list[str]) -> list[str]:
    """The printed actions under the names moto authorizes."""
    named = [MOTO_NAMES.get(a, a) for a in actions]
    return sorted({n for name in named for n in ((name,) if isinstance(name, str) else name)})


@pytest.fixture
def estate(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        build_estate(local_client)
        yield


def record_calls(session: Any) -> set[str]:
    """The IAM actions of every call the session's clients make from now on (clients made after this)."""
    seen: set[str] = set()
    session.session.events.register("before-call", lambda model, **_: seen.add(action_of(model)))
    return seen


def test_every_call_a_collector_makes_is_declared(estate: None) -> None:
    undeclared, unused = {}, {}
    for spec in REGISTRY.collectors("aws"):
        session = PROVIDER.connect(Target(provider="aws", name="t", regions=(REGION,)))
        calls = record_calls(session)
        with contextlib.suppress(Exception):  # moto lacks a call (accessanalyzer): the calls until then count
            list(spec.fn(session, REGION if spec.regional else "global"))
        assert calls, f"{spec.service} made no call: the recording is broken"
        if calls - NO_GRANT - set(spec.permissions):
            undeclared[spec.service] = sorted(calls - NO_GRANT - set(spec.permissions))
        if set(spec.permissions) - calls:
            unused[spec.service] = sorted(set(spec.permissions) - calls)
    assert not undeclared, f"calls not declared in the collector's permissions=(...): {undeclared}"
    if unused:  # a call the estate does not lead to (Security Hub off, moto without the call): not an error
        warnings.warn(f"declared but not called against the estate: {unused}", stacklevel=1)


def test_the_providers_own_calls_are_declared(estate: None) -> None:
    session = PROVIDER.connect(Target(provider="aws", name="t"))
    calls = record_calls(session)
    PROVIDER.identify(session)
    PROVIDER.list_regions(session, Target(provider="aws", name="t"))
    assert calls - NO_GRANT == set(PROVIDER.permissions) == {"ec2:DescribeRegions"}


def printed_policy() -> dict[str, Any]:
    out = StringIO()
    call_command("permissions", "aws", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def scan_as_user_with(policy: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """A scan with the keys of a user that has ``policy`` only (under moto's names), IAM enforcement on."""
    for statement in policy["Statement"]:
        statement["Action"] = moto_actions(statement["Action"])
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="posture")
    iam.put_user_policy(UserName="posture", PolicyName="posture-reader", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="posture")["AccessKey"]
    target = Target(
        provider="aws",
        name="t",
        regions=(REGION,),
        credentials={"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]},
    )
    # moto's SigV4 check miscomputes REST-JSON GETs (eks, efs, guardduty): authorization is what is tested here
    monkeypatch.setattr(IAMRequestBase, "check_signature", lambda self: None)
    with enable_iam_authentication():
        session = PROVIDER.connect(target)
        return collect(PROVIDER, session, plan(PROVIDER, session, target))


def denials(result: Any) -> list[str]:
    found = [f"{e.service}: {e.error}" for e in result.errors if e.kind == "denied"]
    for record in result.records:
        found += [f"{record.uid} {k}: {v}" for k, v in (record.config.get("_errors") or {}).items() if "denied" in v]
    return found


def test_the_printed_policy_alone_lets_a_scan_of_the_estate_finish(
    estate: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = scan_as_user_with(printed_policy(), monkeypatch)

    assert denials(result) == []
    # moto has no IAM Access Analyzer; every other unit collected
    assert [(e.service, e.kind) for e in result.errors] == [("accessanalyzer", "unsupported")]
    assert f"arn:aws:iam::{ACCOUNT}:user/alice" in {r.uid for r in result.records}


def test_without_one_action_the_scan_names_it(estate: None, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = printed_policy()
    policy["Statement"][0]["Action"].remove("iam:GetAccountSummary")

    result = scan_as_user_with(policy, monkeypatch)

    denied = [e for e in result.errors if e.kind == "denied"]
    assert [e.service for e in denied] == ["iam"]
    assert denied[0].error.endswith(
        "the credentials lack iam:GetAccountSummary; `manage.py permissions aws` prints what a scan needs"
    )
    assert "AKIA" not in denied[0].error and "posture" not in denied[0].error.split(";")[0]


def managed_actions(name: str) -> list[str]:
    document = json.loads(aws_managed_policies_data)[name]["Document"]
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    actions: list[str] = []
    for statement in statements:
        if statement["Effect"] == "Allow":
            action = statement.get("Action", [])
            actions += [action] if isinstance(action, str) else action
    return actions


def test_the_named_managed_policies_grant_what_the_policy_lists_but_the_named_gap() -> None:
    patterns = [a for arn in MANAGED_POLICIES for a in managed_actions(arn.rsplit("/", 1)[1])]
    uncovered = [a for a in required("aws") if not any(fnmatch.fnmatch(a.lower(), p.lower()) for p in patterns)]
    assert uncovered == list(NOT_IN_MANAGED)
    # SecurityAudit alone misses the newer EKS reads, which ViewOnlyAccess grants
    audit = managed_actions("SecurityAudit")
    assert [a for a in required("aws") if not any(fnmatch.fnmatch(a.lower(), p.lower()) for p in audit)] == [
        "eks:DescribeClusterVersions",
        "eks:DescribePodIdentityAssociation",
        "eks:ListPodIdentityAssociations",
        *NOT_IN_MANAGED,
    ]
