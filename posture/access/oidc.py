"""OpenID Connect sign-in: the authorization code flow with PKCE, as a relying party.

:func:`begin` makes the provider's authorization URL and the flow's secrets (state, nonce, PKCE
verifier), kept in the user's session; :func:`complete` checks the state, exchanges the code at the
token endpoint (client secret and verifier), verifies the ID token (signature against the provider's
JWKS, ``iss``, ``aud``/``azp``, ``exp``, ``iat``, ``nonce``) and adds the userinfo claims.

The issuer and every endpoint fetched from here pass :func:`posture.security.check_outbound_url`;
redirects are not followed. Only asymmetric signatures are accepted (never ``none`` nor HS*).
Nothing here logs a code, a token or the client secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import jwt
import requests
from django.conf import settings

from posture.security import UnsafeURL, check_outbound_url

TIMEOUT = 10
CACHE_SECONDS = 600
FLOW_MAX_AGE = 600
LEEWAY = 60
SAFE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class OidcError(Exception):
    """A sign-in that cannot go on: ``reason`` is a short code for the audit trail, the text is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Client:
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    algorithms: tuple[str, ...]
    auth_methods: tuple[str, ...]


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER and settings.OIDC_CLIENT_ID)


def client() -> Client:
    return Client(
        issuer=settings.OIDC_ISSUER.rstrip("/"),
        client_id=settings.OIDC_CLIENT_ID,
        client_secret=settings.OIDC_CLIENT_SECRET,
        scopes=tuple(dict.fromkeys(["openid", *settings.OIDC_SCOPES])),
        name=settings.OIDC_PROVIDER_NAME,
    )


_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _cached(key: str) -> Any:
    with _cache_lock:
        hit = _cache.get(key)
    return hit[1] if hit and hit[0] > time.monotonic() else None


def _remember(key: str, value: Any) -> None:
    with _cache_lock:
        _cache[key] = (time.monotonic() + CACHE_SECONDS, value)


def forget_cached() -> None:
    with _cache_lock:
        _cache.clear()


def check_endpoint(url: str, what: str) -> None:
    """The SSRF guard, and https unless the provider is on this machine's loopback."""
    try:
        check_outbound_url(url)
    except UnsafeURL as exc:
        raise OidcError("unsafe_url", f"the provider's {what} is refused: {exc}") from None
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise OidcError("unsafe_url", f"the provider's {what} {url} is not https")


def fetch_json(url: str, what: str, **kwargs: Any) -> dict[str, Any]:
    check_endpoint(url, what)
    method = "POST" if "data" in kwargs else "GET"
    try:
        response = requests.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise OidcError("provider_unreachable", f"the provider's {what} did not answer: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200:
        error = body.get("error", "") if isinstance(body, dict) else ""
        raise OidcError("provider_error", f"the provider's {what} answered {response.status_code} {error}".strip())
    if not isinstance(body, dict):
        raise OidcError("provider_error", f"the provider's {what} did not answer a JSON object")
    return body


def discover(issuer: str) -> Provider:
    """The provider's metadata from ``<issuer>/.well-known/openid-configuration``, cached for a while."""
    cached = _cached(f"discovery:{issuer}")
    if cached is not None:
        return cached
    doc = fetch_json(f"{issuer}/.well-known/openid-configuration", "discovery document")
    if str(doc.get("issuer", "")).rstrip("/") != issuer:
        raise OidcError("issuer_mismatch", f"the discovery document names issuer {doc.get('issuer')!r}, not {issuer}")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not doc.get(k)]
    if missing:
        raise OidcError("provider_error", f"the discovery document lacks {', '.join(missing)}")
    offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    provider = Provider(
        issuer=issuer,
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        jwks_uri=doc["jwks_uri"],
        userinfo_endpoint=doc.get("userinfo_endpoint") or "",
        algorithms=tuple(a for a in SAFE_ALGORITHMS if a in offered),
        auth_methods=tuple(doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]),
    )
    if not provider.algorithms:
        raise OidcError("provider_error", f"the provider signs ID tokens only with {offered}, none of them asymmetric")
    _remember(f"discovery:{issuer}", provider)
    return provider


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def begin(redirect_uri: str) -> tuple[str, dict[str, Any]]:
    """The URL to send the browser to, and the flow to keep in the session until the callback."""
    c = client()
    provider = discover(c.issuer)
    check_endpoint(provider.authorization_endpoint, "authorization endpoint")
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
        "redirect_uri": redirect_uri,
        "started": time.time(),
    }
    query = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(c.scopes),
        "state": flow["state"],
        "nonce": flow["nonce"],
        "code_challenge": b64url(hashlib.sha256(flow["verifier"].encode()).digest()),
        "code_challenge_method": "S256",
    }
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{urlencode(query)}", flow


def complete(flow: dict[str, Any] | None, params: dict[str, str]) -> dict[str, Any]:
    """The verified claims of the signed-in user (ID token, then userinfo for what it lacks)."""
    if not flow or time.time() - float(flow.get("started", 0)) > FLOW_MAX_AGE:
        raise OidcError("no_flow", "this sign-in was not started here or took too long; start again")
    if not hmac.compare_digest(str(params.get("state", "")), str(flow["state"])):
        raise OidcError("bad_state", "the sign-in answer does not belong to this sign-in (state mismatch)")
    if params.get("error"):
        raise OidcError("provider_refused", f"the provider refused the sign-in: {params['error'][:100]}")
    if not params.get("code"):
        raise OidcError("no_code", "the provider's answer carries no authorization code")
    c = client()
    provider = discover(c.issuer)
    tokens = exchange_code(c, provider, params["code"], flow)
    claims = verify_id_token(str(tokens.get("id_token", "")), c, provider, flow["nonce"])
    if provider.userinfo_endpoint and tokens.get("access_token"):
        info = fetch_json(
            provider.userinfo_endpoint,
            "userinfo endpoint",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        if info.get("sub") != claims["sub"]:
            raise OidcError("userinfo_mismatch", "the userinfo answer is about another user (sub differs)")
        claims = {**info, **claims}
    return claims


def exchange_code(c: Client, provider: Provider, code: str, flow: dict[str, Any]) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow["redirect_uri"],
        "code_verifier": flow["verifier"],
    }
    kwargs: dict[str, Any] = {"data": data, "headers": {"Accept": "application/json"}}
    if "client_secret_basic" in provider.auth_methods or "client_secret_post" not in provider.auth_methods:
        # RFC 6749 2.3.1: form-encode the id and secret before the basic scheme
        kwargs["auth"] = (quote(c.client_id, safe=""), quote(c.client_secret, safe=""))
    else:
        data.update(client_id=c.client_id, client_secret=c.client_secret)
    tokens = fetch_json(provider.token_endpoint, "token endpoint", **kwargs)
    if not tokens.get("id_token"):
        raise OidcError("no_id_token", "the token endpoint returned no ID token")
    return tokens


def signing_key(provider: Provider, kid: str | None, alg: str) -> Any:
    """The JWKS key for ``kid`` (the JWKS is fetched again once when the kid is new: key rotation)."""
    for refresh in (False, True):
        keys = None if refresh else _cached(f"jwks:{provider.jwks_uri}")
        if keys is None:
            keys = fetch_json(provider.jwks_uri, "JWKS").get("keys")
            if not isinstance(keys, list):
                raise OidcError("provider_error", "the provider's JWKS has no keys")
            _remember(f"jwks:{provider.jwks_uri}", keys)
        candidates = [k for k in keys if isinstance(k, dict) and k.get("use", "sig") == "sig"]
        if kid is not None:
            candidates = [k for k in candidates if k.get("kid") == kid]
        if len(candidates) == 1:
            try:
                return jwt.PyJWK.from_dict(candidates[0], algorithm=alg).key
            except jwt.PyJWTError as exc:
                raise OidcError("bad_id_token", f"the provider's signing key is unusable: {exc}") from None
    raise OidcError("bad_id_token", f"the ID token is signed with a key the provider does not publish ({kid})")


def verify_id_token(token: str, c: Client, provider: Provider, nonce: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise OidcError("bad_id_token", "the ID token is not a signed JWT") from None
    alg = header.get("alg")
    if alg not in provider.algorithms:
        raise OidcError("bad_id_token", f"the ID token's algorithm {alg!r} is not accepted")
    key = signing_key(provider, header.get("kid"), alg)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[alg],
            audience=c.client_id,
            issuer=provider.issuer,
            leeway=LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.InvalidSignatureError:
        raise OidcError("bad_signature", "the ID token's signature does not verify against the provider's keys")
    except jwt.ExpiredSignatureError:
        raise OidcError("expired", "the ID token has expired (check this server's clock)")
    except jwt.InvalidAudienceError:
        raise OidcError("wrong_audience", "the ID token was issued to another client (aud)")
    except jwt.InvalidIssuerError:
        raise OidcError("issuer_mismatch", "the ID token was issued by another issuer (iss)")
    except jwt.PyJWTError as exc:
        raise OidcError("bad_id_token", f"the ID token is invalid: {exc}")
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != c.client_id:
        raise OidcError("wrong_audience", "the ID token names several audiences but not this client as azp")
    if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise OidcError("bad_nonce", "the ID token's nonce does not match this sign-in (replayed token?)")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OidcError("bad_id_token", "the ID token has no subject")
    return claims
