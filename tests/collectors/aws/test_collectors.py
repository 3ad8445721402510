"""Each AWS collector against moto in-process: the records, their uids and the config the rules read."""

from __future__ import annotations

from collections import Counter

import pytest
from moto import mock_aws
from moto.s3.models import S3Backend

import collectors.aws  # noqa: F401  (registers the collectors)
from collectors.aws import PROVIDER
from collectors.aws.provider import AwsSession, _strip_account_host
from collectors.records import Target
from collectors.run import collect, plan
from emulators.aws.estate import ACCOUNT, REGION, build_estate
from tests.collectors.aws.conftest import FAKE_ENV, local_client


def run_all(target: Target | None = None):
    target = target or Target(provider="aws", name="t", regions=(REGION,))
    session = PROVIDER.connect(target)
    return session, collect(PROVIDER, session, plan(PROVIDER, session, target))


def by_uid(records):
    return {r.uid: r for r in records}


@pytest.fixture(scope="module")
def collected():
    """The estate built and collected once for the read-only tests of this module."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_ENV.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            uids = build_estate(local_client)
            session, result = run_all()
            yield uids, session, result


def test_every_service_collects_the_estate(collected) -> None:
    uids, session, result = collected
    records = by_uid(result.records)
    types = Counter(r.type for r in result.records)
    assert {e.service for e in result.errors} == {"accessanalyzer"}  # moto lacks it: recorded, not fatal
    assert result.errors[0].kind == "unsupported"
    for kind in (
        "aws.iam.account", "aws.iam.user", "aws.iam.policy", "aws.iam.group", "aws.s3.account", "aws.s3.bucket",
        "aws.ec2.region_settings", "aws.ec2.vpc", "aws.ec2.security_group", "aws.ec2.network_acl",
        "aws.cloudtrail.trail", "aws.config.region_settings", "aws.kms.key", "aws.logs.metric_filter",
        "aws.cloudwatch.alarm", "aws.sns.topic", "aws.securityhub.hub", "aws.guardduty.region_settings",
        "aws.rds.db_instance", "aws.efs.file_system", "aws.eks.cluster", "aws.eks.nodegroup",
        "aws.ecr.registry", "aws.ecr.repository",
    ):  # fmt: skip
        assert types[kind] >= 1, kind
    assert session.api_calls > 50
    # uids: ARNs where AWS has them; account and region settings name the account (and region)
    assert f"arn:aws:iam::{ACCOUNT}:account-settings" in records
    assert f"arn:aws:ec2:{REGION}:{ACCOUNT}:account-settings" in records
    assert f"arn:aws:s3::{ACCOUNT}:account-settings" in records
    assert f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{uids['open_ssh']}" in records
    assert uids["cluster"] in records and uids["nodegroup"] in records and uids["api_repo"] in records
    assert uids["db"] in records and uids["efs_plain"] in records and uids["rotated_key"] in records


def test_iam_records_carry_what_the_rules_read(collected) -> None:
    _, _, result = collected
    records = by_uid(result.records)
    account = records[f"arn:aws:iam::{ACCOUNT}:account-settings"].config
    assert account["PasswordPolicy"]["MinimumPasswordLength"] == 8
    assert account["SummaryMap"]["AccountMFAEnabled"] == 0
    alice = records[f"arn:aws:iam::{ACCOUNT}:user/alice"].config
    assert alice["LoginProfile"]["UserName"] == "alice"
    assert alice["MFADevices"] == []
    assert alice["AccessKeys"][0]["Status"] == "Active"
    assert "SecretAccessKey" not in str(alice)
    assert alice["CredentialReport"]["password_enabled"] == "true"
    deploy = records[f"arn:aws:iam::{ACCOUNT}:user/deploy"].config
    assert deploy["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "s3:PutObject"
    admin = records[f"arn:aws:iam::{ACCOUNT}:policy/full-admin"].config
    assert admin["AttachmentCount"] == 1
    assert admin["DefaultVersion"]["Document"]["Statement"][0]["Action"] == "*"
    assert isinstance(admin["CreateDate"], str)  # JSON-safe config


def test_s3_ec2_trail_and_chain_settings(collected) -> None:
    uids, _, result = collected
    records = by_uid(result.records)
    public = records["arn:aws:s3:::posture-public"].config
    assert public["Policy"]["Statement"][0]["Principal"] == "*"
    assert public["PublicAccessBlockConfiguration"] is None
    assert "_errors" not in public
    group = "http://acs.amazonaws.com/groups/"
    grants = lambda uid: {(g["Grantee"].get("URI"), g["Permission"]) for g in records[uid].config["Acl"]["Grants"]}  # noqa: E731
    assert (group + "global/AllUsers", "READ") in grants("arn:aws:s3:::posture-public")
    # a canned ACL granting one group two permissions is answered as two grants (emulators/aws/s3_answers.py)
    logs = grants("arn:aws:s3:::posture-trail-logs") - {(None, "FULL_CONTROL")}
    assert logs == {(group + "s3/LogDelivery", "WRITE"), (group + "s3/LogDelivery", "READ_ACP")}
    private = records["arn:aws:s3:::posture-private"].config
    assert private["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert private["Versioning"]["Status"] == "Enabled"
    assert records[f"arn:aws:ec2:{REGION}:{ACCOUNT}:account-settings"].config["EbsEncryptionByDefault"] is True
    ssh = records[f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{uids['open_ssh']}"].config
    assert ssh["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"
    trail = next(r for r in result.records if r.type == "aws.cloudtrail.trail").config
    assert trail["IsMultiRegionTrail"] is True and trail["Status"]["IsLogging"] is True
    topic = next(r for r in result.records if r.type == "aws.sns.topic").config
    assert topic["Subscriptions"][0]["SubscriptionArn"].startswith("arn:aws:sns:")
    keys = {r.uid: r.config for r in result.records if r.type == "aws.kms.key"}
    assert keys[uids["rotated_key"]]["KeyRotationEnabled"] is True
    assert keys[uids["unrotated_key"]]["KeyRotationEnabled"] is False
    cluster = records[uids["cluster"]].config
    assert cluster["version"] == "1.28" and "certificateAuthority" not in cluster
    assert records[uids["nodegroup"]].config["remoteAccess"]["ec2SshKey"] == "ops"
    repo = records[uids["api_repo"]].config
    assert repo["_Images"]["ImageCount"] == 1 and repo["imageTagMutability"] == "MUTABLE"
    assert next(r for r in result.records if r.type == "aws.securityhub.hub").config["Enabled"] is False


def test_a_failing_secondary_call_is_noted_on_the_resource(mocked: None, monkeypatch: pytest.MonkeyPatch) -> None:
    local_client("s3").create_bucket(Bucket="half-readable")

    def broken(self, bucket_name: str) -> None:
        raise RuntimeError("policy store unavailable")

    monkeypatch.setattr(S3Backend, "get_bucket_policy", broken)
    _, result = run_all()
    bucket = by_uid(result.records)["arn:aws:s3:::half-readable"]
    assert "Policy" in bucket.config["_errors"]
    assert bucket.config["Policy"] is None
    assert "Versioning" in bucket.config  # the other settings were still read
    assert "s3" not in {e.service for e in result.errors}


def test_an_unsupported_main_call_fails_only_its_unit(mocked: None) -> None:
    _, result = run_all()
    assert [(e.service, e.region, e.kind) for e in result.errors] == [("accessanalyzer", REGION, "unsupported")]
    assert any(r.type == "aws.iam.account" for r in result.records)


def test_aws_endpoint_url_is_honoured_when_no_endpoint_is_set(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    session = PROVIDER.connect(Target(provider="aws", name="t", regions=(REGION,)))
    assert session.endpoint_url == "http://127.0.0.1:9"
    explicit = PROVIDER.connect(Target(provider="aws", name="t", endpoint_url="http://127.0.0.1:7"))
    assert explicit.endpoint_url == "http://127.0.0.1:7"
    assert isinstance(explicit, AwsSession)


def test_the_s3control_account_host_is_stripped() -> None:
    class Request:
        url = "http://123456789012.127.0.0.1:5000/v20180820/configuration/publicAccessBlock"

    request = Request()
    _strip_account_host(request)
    assert request.url == "http://127.0.0.1:5000/v20180820/configuration/publicAccessBlock"


def test_without_listed_regions_every_enabled_region_is_planned(mocked: None) -> None:
    target = Target(provider="aws", name="t")
    session = PROVIDER.connect(target)
    units = plan(PROVIDER, session, target)
    regions = {u.region for u in units if u.service == "ec2"}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= regions
    assert {u.region for u in units if u.service in ("iam", "s3")} == {"global"}


def test_an_assumed_role_is_used_for_collection(mocked: None) -> None:
    target = Target(
        provider="aws",
        name="t",
        regions=(REGION,),
        credentials={"role_arn": f"arn:aws:iam::{ACCOUNT}:role/posture-audit", "external_id": "x-123"},
    )
    session = PROVIDER.connect(target)
    assert session.session.get_credentials().access_key != "testing"  # the role's temporary keys
    assert PROVIDER.identify(session).external_id == ACCOUNT


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("ThrottlingException", 400, "throttled"),
        ("AccessDeniedException", 403, "denied"),
        ("UnrecognizedClientException", 400, "denied"),
        ("InvalidAction", 400, "unsupported"),
        ("404", 404, "unsupported"),
        ("InternalFailure", 500, "error"),
    ],
)
def test_aws_errors_are_classified(code: str, status: int, kind: str) -> None:
    from botocore.exceptions import ClientError

    exc = ClientError({"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")
    assert PROVIDER.classify_error(exc) == kind


def test_junk_responses_and_missing_actions_are_classified() -> None:
    from botocore.parsers import ResponseParserError

    assert PROVIDER.classify_error(ResponseParserError("invalid XML received")) == "invalid_response"
    assert PROVIDER.classify_error(NotImplementedError("The x action has not been implemented")) == "unsupported"
