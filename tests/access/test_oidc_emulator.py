"""The local OpenID provider holds relying parties to the protocol: PKCE, secret, redirect URI, one-time codes."""

from __future__ import annotations

import hashlib
import secrets
from base64 import urlsafe_b64encode
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from emulators.oidc.server import OidcEmulator

CALLBACK = "http://127.0.0.1:9/cb"


@pytest.fixture
def provider():
    emulator = OidcEmulator(redirect_uris=[CALLBACK], auto_user="sam").start()
    yield emulator
    emulator.stop()


def authorize(provider: OidcEmulator, verifier: str, redirect_uri: str = CALLBACK) -> requests.Response:
    challenge = urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = {
        "response_type": "code",
        "client_id": "posture",
        "redirect_uri": redirect_uri,
        "scope": "openid groups",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return requests.get(f"{provider.url}/authorize?{urlencode(query)}", allow_redirects=False, timeout=10)


def code_from(response: requests.Response) -> str:
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["state"] == ["s1"]
    return query["code"][0]


def token(provider: OidcEmulator, code: str, verifier: str, secret: str | None = None, redirect_uri: str = CALLBACK):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    auth = ("posture", secret or provider.client_secret)
    return requests.post(f"{provider.url}/token", data=data, auth=auth, timeout=10)


def test_a_good_exchange_gives_a_signed_id_token_and_userinfo(provider) -> None:
    verifier = secrets.token_urlsafe(48)
    answer = token(provider, code_from(authorize(provider, verifier)), verifier)
    assert answer.status_code == 200
    body = answer.json()
    keys = requests.get(f"{provider.url}/jwks", timeout=10).json()["keys"]
    key = jwt.PyJWK.from_dict(keys[0]).key
    claims = jwt.decode(body["id_token"], key, algorithms=["RS256"], audience="posture", issuer=provider.url)
    assert claims["sub"] == "sub-sam" and claims["nonce"] == "n1" and claims["groups"] == ["security", "team-platform"]
    info = requests.get(
        f"{provider.url}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}, timeout=10
    )
    assert info.json()["sub"] == "sub-sam"
    assert (
        requests.get(f"{provider.url}/userinfo", headers={"Authorization": "Bearer x"}, timeout=10).status_code == 401
    )


def test_the_token_endpoint_checks_verifier_secret_redirect_and_reuse(provider) -> None:
    verifier = secrets.token_urlsafe(48)
    code = code_from(authorize(provider, verifier))
    assert token(provider, code, verifier, secret="wrong").json() == {"error": "invalid_client"}
    assert token(provider, code, "another-verifier-" + "x" * 40).json()["error"] == "invalid_grant"
    code = code_from(authorize(provider, verifier))
    assert token(provider, code, verifier, redirect_uri="http://127.0.0.1:9/other").json()["error"] == "invalid_grant"
    code = code_from(authorize(provider, verifier))
    assert token(provider, code, verifier).status_code == 200
    assert token(provider, code, verifier).json()["error"] == "invalid_grant", "a code is good once"


def test_an_unregistered_redirect_uri_is_never_redirected_to(provider) -> None:
    response = authorize(provider, secrets.token_urlsafe(48), redirect_uri="https://evil.example/cb")
    assert response.status_code == 400 and "Location" not in response.headers


def test_a_tampered_signature_does_not_verify(provider) -> None:
    provider.faults = {"bad_signature"}
    verifier = secrets.token_urlsafe(48)
    id_token = token(provider, code_from(authorize(provider, verifier)), verifier).json()["id_token"]
    key = jwt.PyJWK.from_dict(requests.get(f"{provider.url}/jwks", timeout=10).json()["keys"][0]).key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(id_token, key, algorithms=["RS256"], audience="posture")
