"""The AWS records the exposure graph needs beyond the rules': attached AWS-managed policies with their
documents, and EKS Pod Identity associations (moto lacks the API: noted as unknown, not as none)."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from collectors.aws.eks_identity import collect_pod_identity
from collectors.aws.iam_managed import collect_aws_managed_policies
from collectors.aws.provider import AwsSession
from collectors.records import Target
from emulators.aws.estate import REGION
from tests.collectors.aws.conftest import local_client

TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture
def managed(aws_env: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    with mock_aws():
        yield


def session() -> AwsSession:
    from collectors.aws import PROVIDER

    return PROVIDER.connect(Target(provider="aws", name="t", regions=(REGION,)))


def test_an_attached_aws_managed_policy_is_recorded_with_its_document(managed: None) -> None:
    iam = local_client("iam")
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="app", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
    records = list(collect_aws_managed_policies(session(), "global"))
    [record] = [r for r in records if r.name == "AmazonS3FullAccess"]
    assert record.type == "aws.iam.aws_managed_policy" and record.uid == "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    statements = record.config["DefaultVersion"]["Document"]["Statement"]
    assert any("s3:*" in (s.get("Action") or []) for s in statements)
    assert "AdministratorAccess" not in {r.name for r in records}  # attached to no one: not listed


def test_pod_identity_associations_unknown_when_the_endpoint_lacks_them(mocked: None) -> None:
    eks = local_client("eks")
    iam = local_client("iam")
    role = iam.create_role(RoleName="eks", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    eks.create_cluster(name="prod", roleArn=role, resourcesVpcConfig={"subnetIds": []})
    [record] = list(collect_pod_identity(session(), REGION))
    assert record.type == "aws.eks.pod_identity_associations" and record.config["clusterName"] == "prod"
    assert record.config["associations"] == [] and "PodIdentityAssociations" in record.config["_errors"]
