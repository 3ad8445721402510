"""AWS managed policies on moto (emulators/aws/iam_policies.py): made in the commercial partition's IAM backend of
each account, each backend with its own policy objects, and in no other partition's."""

from __future__ import annotations

import pytest
from moto import mock_aws

from emulators.aws.estate import ACCOUNT

OTHER = "210987654321"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@pytest.fixture
def backends(aws_env: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    with mock_aws():
        from moto.iam.models import iam_backends

        yield iam_backends


def test_the_commercial_partition_of_each_account_has_its_own_aws_managed_policies(backends) -> None:
    mine, theirs = backends[ACCOUNT]["aws"], backends[OTHER]["aws"]
    assert len(mine.managed_policies) > 1000 and ADMIN in mine.managed_policies
    assert mine.managed_policies[ADMIN] is not theirs.managed_policies[ADMIN]  # attachment counts are per account
    assert backends[ACCOUNT]["aws-cn"].managed_policies == {}


def test_without_the_setting_no_backend_has_them(aws_env: None) -> None:
    with mock_aws():
        from moto.iam.models import iam_backends

        assert iam_backends[ACCOUNT]["aws"].managed_policies == {}
