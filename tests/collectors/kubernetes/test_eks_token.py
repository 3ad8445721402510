"""The EKS token as `aws eks get-token` makes it, and the emulator's check of it as aws-iam-authenticator does."""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from collectors.aws.eks_auth import get_token, token_client
from collectors.aws.provider import AwsSession
from collectors.cluster_access import (
    CachedToken,
    ClusterAccessError,
    ClusterRefError,
    check_cluster_server,
    parse_cluster_ref,
)
from emulators.kubernetes.cloud_auth import AwsKey, EksTokenReviewer, Refused, canonical_arn
from tests.collectors.aws.conftest import aws_env  # noqa: F401

KEY_ID, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
USER = "arn:aws:iam::123456789012:user/posture"


@pytest.fixture
def token(aws_env: None) -> str:  # noqa: F811
    session = boto3.Session(aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, region_name="eu-west-1")
    return get_token(token_client(AwsSession(session), "eu-west-1"), "prod")


def decoded(token: str) -> str:
    body = token.removeprefix("k8s-aws-v1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()


def reviewer(**kwargs) -> EksTokenReviewer:
    return EksTokenReviewer("prod", keys={KEY_ID: AwsKey(SECRET, USER)}, users={USER: "posture"}, **kwargs)


def test_the_token_is_a_presigned_get_caller_identity_url_with_the_cluster_header_signed(token: str) -> None:
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    url = urlsplit(decoded(token))
    assert (url.scheme, url.netloc, url.path) == ("https", "sts.eu-west-1.amazonaws.com", "/")
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params["Action"] == "GetCallerIdentity" and params["Version"] == "2011-06-15"
    assert params["X-Amz-Expires"] == "60"
    assert params["X-Amz-SignedHeaders"] == "host;x-k8s-aws-id"
    assert params["X-Amz-Credential"].startswith(f"{KEY_ID}/") and params["X-Amz-Credential"].endswith(
        "/eu-west-1/sts/aws4_request"
    )
    signed_at = time.mktime(time.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ")) - time.timezone
    assert abs(signed_at - time.time()) < 60
    assert "x-k8s-aws-id" not in params  # a header, signed; never a query parameter
    assert reviewer()(token) == "posture"


def test_the_emulator_refuses_what_eks_refuses(token: str) -> None:
    with pytest.raises(Refused, match="signature"):
        EksTokenReviewer("other", keys=reviewer().keys, users=reviewer().users)(token)
    with pytest.raises(Refused, match="expired"):
        reviewer(now=time.time() + 16 * 60)(token)
    with pytest.raises(Refused, match="unknown access key"):
        EksTokenReviewer("prod")(token)
    with pytest.raises(Refused, match="not mapped"):
        EksTokenReviewer("prod", keys=reviewer().keys)(token)
    url = decoded(token)
    forged = {  # what aws-iam-authenticator (or STS) says about each
        token + "==": "padding",
        url.replace("sts.eu-west-1.amazonaws.com", "evil.example.com"): "unexpected hostname",
        url.replace("https://", "http://"): "unexpected scheme",
        url + "&X-Amz-Extra=1": "non-whitelisted query parameter",
        url.replace("GetCallerIdentity", "GetSessionToken"): "unexpected action",
        url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600"): "X-Amz-Expires",
        url.replace("host%3Bx-k8s-aws-id", "host"): "did not sign the x-k8s-aws-id header",
        url[:-4] + "0000": "signature",
    }
    for text, reason in forged.items():
        encoded = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        candidate = text if text.startswith("k8s-aws-v1.") else "k8s-aws-v1." + encoded
        with pytest.raises(Refused, match=reason):
            reviewer()(candidate)
    assert reviewer()("not-an-eks-token") is None  # left to the other reviewers


def test_assumed_role_sessions_map_as_their_role() -> None:
    assert canonical_arn("arn:aws:sts::123456789012:assumed-role/Posture/scan-1") == (
        "arn:aws:iam::123456789012:role/Posture"
    )
    assert canonical_arn(USER) == USER


def test_tokens_are_reminted_before_they_expire() -> None:
    minted: list[float] = []

    def mint() -> tuple[str, float]:
        minted.append(time.time())
        return f"t{len(minted)}", time.time() + (30 if len(minted) == 1 else 3600)

    source = CachedToken(mint, margin=60)
    assert source() == "t1"  # expires within the margin: the next call mints again
    assert source() == "t2" and source() == "t2"
    assert "t2" not in repr(source)


@pytest.mark.parametrize(
    ("provider", "ref"),
    [
        ("aws", "arn:aws:eks:us-east-1:123456789012:nodegroup/prod/x"),
        ("azure", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c"),
        ("gcp", "projects/p/clusters/c"),
        ("kubernetes", "anything"),
    ],
)
def test_cluster_references_of_the_wrong_form_are_refused(provider: str, ref: str) -> None:
    with pytest.raises(ClusterRefError):
        parse_cluster_ref(provider, ref)


def test_temporary_credentials_need_their_session_token_and_expire(aws_env: None) -> None:  # noqa: F811
    session = boto3.Session(
        aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET, aws_session_token="session-1", region_name="eu-west-1"
    )
    signed = get_token(token_client(AwsSession(session), "eu-west-1"), "prod")
    assert parse_qs(urlsplit(decoded(signed)).query)["X-Amz-Security-Token"] == ["session-1"]
    role = "arn:aws:sts::123456789012:assumed-role/Posture/scan"
    users = {"arn:aws:iam::123456789012:role/Posture": "posture"}

    def with_key(key: AwsKey) -> EksTokenReviewer:
        return EksTokenReviewer("prod", keys={KEY_ID: key}, users=users)

    assert with_key(AwsKey(SECRET, role, "session-1", time.time() + 600))(signed) == "posture"
    with pytest.raises(Refused, match="invalid"):
        with_key(AwsKey(SECRET, role, "session-2", time.time() + 600))(signed)
    with pytest.raises(Refused, match="expired"):
        with_key(AwsKey(SECRET, role, "session-1", time.time() - 1))(signed)


@pytest.mark.parametrize(
    "server", ["https://169.254.169.254", "https://[fe80::1]:443", "https://224.0.0.1", "http://10.0.0.1"]
)
def test_a_token_never_goes_to_an_address_no_cluster_has(server: str) -> None:
    with pytest.raises(ClusterAccessError):
        check_cluster_server(server)


def test_private_and_loopback_api_servers_are_fine() -> None:
    check_cluster_server("https://10.0.12.7")  # a private cluster's VPC endpoint
    check_cluster_server("https://127.0.0.1:6443")
    with pytest.raises(ClusterAccessError, match=r"169\.254\.169\.254"):
        check_cluster_server("https://metadata.example", resolve=lambda host: ["169.254.169.254"])
