"""No cloud SDK session follows a redirect: an allowed endpoint must not lead a token or a scan elsewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from collectors.gcp.session import GcpSession, RedirectRefused
from collectors.records import Target
from tests.collectors.redirects import RedirectPair


@pytest.fixture
def pair() -> Iterator[RedirectPair]:
    running = RedirectPair()
    yield running
    running.close()


def test_the_redirect_pair_does_redirect(pair: RedirectPair) -> None:
    import requests

    assert requests.get(pair.url + "/x", timeout=5).json()["projectId"] == "leaked-project"
    assert pair.blocked_hits == ["GET /x"]


def test_azure_refuses_a_redirect(pair: RedirectPair) -> None:
    from azure.core.exceptions import HttpResponseError

    from collectors.azure import PROVIDER
    from tests.collectors.azure.conftest import TOKEN

    target = Target("azure", "t", endpoint_url=pair.url, credentials={"access_token": TOKEN})
    with pytest.raises(HttpResponseError, match="redirect"):
        PROVIDER.connect(target)
    assert pair.blocked_hits == []


def test_azure_data_planes_refuse_a_redirect(pair: RedirectPair) -> None:
    from azure.core.exceptions import HttpResponseError

    from collectors.azure.credentials import StaticTokenCredential
    from collectors.azure.session import AzureSession
    from tests.collectors.azure.conftest import TOKEN

    session = AzureSession(credential=StaticTokenCredential(TOKEN, 4_102_444_800), base_url=pair.url)
    for plane, url in (
        ("vault", session.vault_url("kv-prod") + "/keys"),
        ("graph", session.graph_root + "/v1.0/users"),
    ):
        with pytest.raises(HttpResponseError, match="redirect"):
            session.rest(plane).get(url)
    assert pair.blocked_hits == []


def gcp_session(pair: RedirectPair) -> GcpSession:
    from collectors.gcp import PROVIDER

    target = Target("gcp", "t", endpoint_url=pair.url, credentials={"access_token": "ya29.t", "projects": "acme-prod"})
    session = PROVIDER.connect(target)
    session.retry_attempts = 1
    return session


def test_gcp_plain_rest_refuses_a_redirect(pair: RedirectPair) -> None:
    with pytest.raises(RedirectRefused, match=f"redirect to {pair.blocked_url}"):
        gcp_session(pair).get_json("iam", "v1/projects/acme-prod/serviceAccounts")
    assert pair.blocked_hits == []


@pytest.mark.parametrize("call", ["projects", "compute", "storage"])
def test_gcp_client_libraries_refuse_a_redirect(pair: RedirectPair, call: str) -> None:
    from google.cloud import compute_v1

    from collectors.gcp import clients

    session = gcp_session(pair)
    with pytest.raises(RedirectRefused, match="Posture does not follow redirects"):
        if call == "projects":
            clients.projects_client(session).get_project(name="projects/acme-prod", retry=None)
        elif call == "compute":
            list(clients.compute(session, compute_v1.FirewallsClient).list(project="acme-prod", retry=None))
        else:
            list(clients.storage_client(session, "acme-prod").list_buckets(retry=None))
    assert pair.blocked_hits == []


def test_aws_does_not_follow_a_redirect(pair: RedirectPair, monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's HTTP layer never follows a 3xx (urllib3 ``redirect=False``): a 302 fails to parse."""
    from collectors.aws import PROVIDER

    monkeypatch.setenv("POSTURE_AWS_MAX_ATTEMPTS", "1")
    creds = {"access_key_id": "AKIATEST", "secret_access_key": "secret"}
    session = PROVIDER.connect(Target("aws", "t", endpoint_url=pair.url, credentials=creds))
    for call in (session.client("sts").get_caller_identity, session.client("s3").list_buckets):
        with pytest.raises(Exception):  # noqa: B017 (a parse error or a ClientError, per service)
            call()
    assert pair.blocked_hits == []
