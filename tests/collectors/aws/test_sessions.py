"""AWS sessions share one botocore data loader, and making many leaves its search path as it was."""

from __future__ import annotations

import pytest

from collectors.aws.provider import new_session


def test_sessions_share_the_loader_and_its_parsed_models() -> None:
    first, second = new_session(region_name="us-east-1"), new_session(region_name="eu-west-1")
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    paths = list(loader.search_paths)
    for _ in range(20):
        new_session(region_name="us-east-1")
    assert loader.search_paths == paths  # boto3 appends its data folder per session; not here
    a = first.client("ec2", aws_access_key_id="k", aws_secret_access_key="s")
    b = second.client("ec2", aws_access_key_id="k", aws_secret_access_key="s")
    assert a.meta.service_model.operation_names == b.meta.service_model.operation_names
    assert a.meta.region_name == "us-east-1" and b.meta.region_name == "eu-west-1"


def test_each_session_keeps_its_own_credentials() -> None:
    one = new_session(aws_access_key_id="AKIAONE", aws_secret_access_key="s1", region_name="us-east-1")
    two = new_session(aws_access_key_id="AKIATWO", aws_secret_access_key="s2", region_name="us-east-1")
    assert one.get_credentials().access_key == "AKIAONE" and two.get_credentials().access_key == "AKIATWO"


def test_an_unknown_profile_is_still_refused(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    import botocore.exceptions

    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        new_session(profile_name="nowhere")
