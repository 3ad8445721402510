"""Azure credentials, endpoints and subscription scope: checked before any call, then proven on the emulator."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError

from collectors.azure import PROVIDER
from collectors.azure.credentials import StaticTokenCredential, token_credential, token_expiry
from collectors.azure.session import cloud_for, is_loopback
from collectors.records import Target
from collectors.registry import InvalidCredentials
from emulators.azure import ArmEmulator
from emulators.azure import estate as e
from emulators.azure.demo import SUB, demo_estate
from tests.collectors.azure.conftest import TOKEN, target

GOOD_SUB = "11111111-2222-4333-8444-555555555555"


def jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'typ': 'JWT', 'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({"subscription_id": "prod"}, "--subscription-id 'prod' is not a GUID"),
        ({"access_token": "Bearer abcdefghijklmnopqrstuvwxyz"}, "without 'Bearer '"),
        ({"access_token": "short"}, "does not look like an access token"),
        ({"access_token": "has spaces in the middle of it"}, "does not look like an access token"),
        ({"access_token": jwt({"exp": 1_600_000_000})}, "--access-token expired at 2020-09-13"),
        ({"access_token": TOKEN, "client_secret": "s3cret"}, "not --access-token and --client-secret"),
        ({"client_secret": "s3cret"}, "missing: --tenant-id, --client-id"),
        ({"tenant_id": GOOD_SUB, "client_id": GOOD_SUB}, "missing: --client-secret"),
        ({"tenant_id": "not a tenant!", "client_id": GOOD_SUB, "client_secret": "x"}, "neither a GUID nor a domain"),
        ({"client_id": "app"}, "--client-id 'app' is not a GUID"),
        (
            {"tenant_id": GOOD_SUB, "client_id": GOOD_SUB, "client_secret": "x", "certificate_path": "/etc/hostname"},
            "not --client-secret and --certificate-path",
        ),
        ({"tenant_id": GOOD_SUB, "client_id": GOOD_SUB, "certificate_path": "/nonexistent.pem"}, "not a readable file"),
        ({"certificate_password": "pw"}, "--certificate-password needs --certificate-path"),
        ({"role_arn": "arn:aws:iam::123456789012:role/x"}, "--role-arn do not apply to azure accounts"),
    ],
)
def test_malformed_credentials_are_refused_with_a_clear_message(credentials: dict, message: str) -> None:
    with pytest.raises(InvalidCredentials, match=message.replace("(", r"\(").replace("*", r"\*")):
        PROVIDER.validate_credentials(credentials)


@pytest.mark.parametrize(
    "credentials",
    [
        {},  # the default credential chain, when Posture runs inside Azure
        {"subscription_id": GOOD_SUB, "access_token": TOKEN},
        {"access_token": jwt({"exp": time.time() + 3600})},
        {"tenant_id": "contoso.onmicrosoft.com", "client_id": GOOD_SUB, "client_secret": "s3cret"},
        {"client_id": GOOD_SUB},  # a user-assigned managed identity
    ],
)
def test_well_formed_credentials_pass(credentials: dict) -> None:
    PROVIDER.validate_credentials(credentials)


def test_certificate_principal_needs_a_readable_file(tmp_path: Path) -> None:
    cert = tmp_path / "sp.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    PROVIDER.validate_credentials({"tenant_id": GOOD_SUB, "client_id": GOOD_SUB, "certificate_path": str(cert)})


def test_a_pre_issued_token_is_handed_back_as_is_and_never_shown() -> None:
    token = jwt({"exp": 2_000_000_000})
    credential = token_credential({"access_token": token}, "login.microsoftonline.com")
    assert isinstance(credential, StaticTokenCredential)
    assert credential.get_token("https://management.azure.com/.default").token == token
    assert credential.get_token().expires_on == 2_000_000_000
    assert token not in repr(credential)
    assert token_expiry("opaque-token-value", now=100.0) == 3700


def test_sovereign_clouds_get_their_own_token_scope_and_authority() -> None:
    assert cloud_for("https://management.usgovcloudapi.net/") == (
        "https://management.core.usgovcloudapi.net/.default",
        "login.microsoftonline.us",
    )
    assert cloud_for("https://management.chinacloudapi.cn")[1] == "login.chinacloudapi.cn"
    assert cloud_for("https://arm.contoso.internal:8443")[0] == "https://arm.contoso.internal:8443/.default"
    credential = token_credential(
        {"tenant_id": GOOD_SUB, "client_id": GOOD_SUB, "client_secret": "s3cret"}, "login.microsoftonline.us"
    )
    assert "login.microsoftonline.us" in credential._authority  # MSAL authority; nothing is fetched yet


def test_plain_http_is_for_loopback_only() -> None:
    assert is_loopback("http://127.0.0.1:8080") and is_loopback("http://localhost:1") and is_loopback("http://[::1]:1")
    assert not is_loopback("http://10.0.0.5") and not is_loopback("http://management.azure.com")
    remote = Target("azure", "x", endpoint_url="http://arm.contoso.internal", credentials={"access_token": TOKEN})
    with pytest.raises(InvalidCredentials, match="tokens are sent over https only"):
        PROVIDER.connect(remote)


def test_connect_and_identify_one_subscription(emulator: ArmEmulator) -> None:
    session = PROVIDER.connect(target(emulator))
    identity = PROVIDER.identify(session)
    assert (identity.external_id, identity.display) == (SUB, "Production")
    assert [s.subscription_id for s in session.subscriptions] == [SUB]


def test_without_a_subscription_every_enabled_one_is_scanned() -> None:
    other, gone = "00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000003"
    estate = demo_estate()
    disabled = e.subscription(gone, "Old")
    disabled["state"] = "Disabled"
    estate["subscriptions"] += [e.subscription(other, "Staging"), disabled]
    with ArmEmulator(estate, token=TOKEN) as emulator:
        session = PROVIDER.connect(target(emulator, subscription_id=""))
        identity = PROVIDER.identify(session)
    assert [s.subscription_id for s in session.subscriptions] == [SUB, other]
    assert identity.external_id == e.TENANT
    assert identity.display == "2 subscriptions: Production, Staging"


@pytest.mark.parametrize("answer", [{"subscriptionId": ""}, {"subscriptionId": None}, {}])
def test_a_subscription_answer_without_an_id_is_a_classified_error(answer: dict) -> None:
    estate = demo_estate()
    sub = {k: v for k, v in estate["subscriptions"][0].items() if k not in ("id", "subscriptionId")}
    estate["subscriptions"] = [{**sub, **answer}]
    with ArmEmulator(estate, token=TOKEN) as emulator, pytest.raises(Exception, match="has no id") as caught:
        PROVIDER.connect(target(emulator, subscription_id=""))
    assert PROVIDER.classify_error(caught.value) == "invalid_response"
    assert str(caught.value) == "the subscription answer has no id"


def test_a_wrong_token_is_denied(emulator: ArmEmulator) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        PROVIDER.connect(target(emulator, access_token="another-token-0123456789"))
    assert PROVIDER.classify_error(caught.value) == "denied"
    assert emulator.requests_to("/subscriptions/") == 1  # one call, not retried


def test_an_unknown_subscription_fails_at_connect(emulator: ArmEmulator) -> None:
    with pytest.raises(ResourceNotFoundError, match=r"SubscriptionNotFound") as caught:
        PROVIDER.connect(target(emulator, subscription_id=GOOD_SUB))
    assert PROVIDER.classify_error(caught.value) == "error"
