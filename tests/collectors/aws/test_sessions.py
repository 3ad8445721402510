"""AWS sessions share one botocore data loader, and making many leaves its search path as it was; a session hands
out the clients it has made without waiting for one being made."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from collectors.aws.provider import AwsSession, new_session


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


def test_a_made_client_is_handed_out_while_another_is_being_made(monkeypatch: pytest.MonkeyPatch) -> None:
    session = AwsSession(new_session(region_name="us-east-1"), endpoint_url="http://127.0.0.1:9")
    s3 = session.client("s3")
    making, release = threading.Event(), threading.Event()
    make = session.session.client

    def slow(service: str, **kwargs: Any) -> Any:  # EC2's model takes a while to load: here until released
        if service == "ec2":
            making.set()
            release.wait(10)
        return make(service, **kwargs)

    monkeypatch.setattr(session.session, "client", slow)
    maker = threading.Thread(target=session.client, args=("ec2",))
    maker.start()
    try:
        assert making.wait(5)
        got: list[Any] = []
        asker = threading.Thread(target=lambda: got.append(session.client("s3")))
        asker.start()
        asker.join(2)
        assert got == [s3]  # not held behind EC2's client
    finally:
        release.set()
        maker.join(10)
    assert session.client("ec2") is session.client("ec2", "us-east-1")
