"""Azure credentials: a service principal, a pre-issued token, a managed identity or the default chain.

Checked before any call (:func:`check_credentials`), turned into an azure-core
``TokenCredential`` by :func:`token_credential`. The chosen way follows from the
fields given:

- ``access_token``: a bearer token issued elsewhere (``az account get-access-token``);
- ``tenant_id`` + ``client_id`` + ``client_secret`` or ``certificate_path``: a service principal;
- ``client_id`` alone: a user-assigned managed identity;
- nothing: ``DefaultAzureCredential`` (environment, workload identity, managed identity, Azure CLI),
  for Posture running inside Azure. Tests never take this path.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from collectors.registry import InvalidCredentials

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TENANT_DOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{1,252}\.[A-Za-z]{2,}$")
TOKEN_CHARS = re.compile(r"^[A-Za-z0-9._~+/=-]+$")
DEFAULT_TOKEN_LIFETIME = 3600


@dataclass(frozen=True)
class StaticTokenCredential:
    """A pre-issued bearer token as an azure-core credential: ``get_token()`` hands it back as is."""

    token: str
    expires_on: int

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.core.credentials import AccessToken  # imported late: checking credentials needs no SDK

        return AccessToken(self.token, self.expires_on)

    def __repr__(self) -> str:  # never show the token
        return f"StaticTokenCredential(expires_on={self.expires_on})"


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT (not verified: only to read ``exp``), or None for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def token_expiry(token: str, now: float | None = None) -> int:
    claims = jwt_claims(token) or {}
    exp = claims.get("exp")
    if isinstance(exp, int | float):
        return int(exp)
    return int((now or time.time()) + DEFAULT_TOKEN_LIFETIME)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_credentials(creds: dict[str, Any], now: float | None = None) -> None:
    """Raise :class:`InvalidCredentials` naming what is malformed, missing or conflicting."""
    given = {k for k, v in creds.items() if v not in (None, "")}
    for name in ("subscription_id", "client_id"):
        if name in given and not GUID.match(str(creds[name])):
            raise InvalidCredentials(
                f"{_flag(name)} {creds[name]!r} is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
            )
    tenant = str(creds.get("tenant_id") or "")
    if tenant and not (GUID.match(tenant) or TENANT_DOMAIN.match(tenant)):
        raise InvalidCredentials(f"--tenant-id {tenant!r} is neither a GUID nor a domain (contoso.onmicrosoft.com)")
    principal = given & {"tenant_id", "client_secret", "certificate_path", "certificate_password"}
    if "access_token" in given:
        clash = sorted(given & {"tenant_id", "client_id", "client_secret", "certificate_path", "certificate_password"})
        if clash:
            raise InvalidCredentials(
                "choose one way to authenticate, not --access-token and " + ", ".join(_flag(n) for n in clash)
            )
        _check_token(str(creds["access_token"]), now)
        return
    if "client_secret" in given and "certificate_path" in given:
        raise InvalidCredentials("choose one way to authenticate, not --client-secret and --certificate-path")
    if "certificate_password" in given and "certificate_path" not in given:
        raise InvalidCredentials("--certificate-password needs --certificate-path")
    if principal:
        missing = [n for n in ("tenant_id", "client_id") if n not in given]
        if not given & {"client_secret", "certificate_path"}:
            missing.append("client_secret")
        if missing:
            raise InvalidCredentials(
                "a service principal needs --tenant-id, --client-id and --client-secret or --certificate-path; "
                "missing: " + ", ".join(_flag(n) for n in missing)
            )
    if "certificate_path" in given:
        path = str(creds["certificate_path"])
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise InvalidCredentials(f"--certificate-path {path!r} is not a readable file")


def _check_token(token: str, now: float | None) -> None:
    if token.lower().startswith("bearer "):
        raise InvalidCredentials("--access-token takes the token alone, without 'Bearer '")
    if len(token) < 16 or not TOKEN_CHARS.match(token):
        raise InvalidCredentials(
            "--access-token does not look like an access token (too short, or spaces/odd characters)"
        )
    claims = jwt_claims(token)
    if claims and isinstance(claims.get("exp"), int | float) and claims["exp"] < (now or time.time()):
        expired = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(claims["exp"]))
        raise InvalidCredentials(f"--access-token expired at {expired}; issue a new one")


def token_credential(creds: dict[str, Any], authority: str) -> Any:
    """The azure-core credential for already-checked ``creds`` (see the module docstring)."""
    if creds.get("access_token"):
        token = str(creds["access_token"])
        return StaticTokenCredential(token, token_expiry(token))
    from azure import identity  # imported late: only the service-principal and managed paths need it

    if creds.get("client_secret"):
        return identity.ClientSecretCredential(
            creds["tenant_id"], creds["client_id"], creds["client_secret"], authority=authority
        )
    if creds.get("certificate_path"):
        return identity.CertificateCredential(
            creds["tenant_id"],
            creds["client_id"],
            certificate_path=creds["certificate_path"],
            password=creds.get("certificate_password") or None,
            authority=authority,
        )
    if creds.get("client_id"):
        return identity.ManagedIdentityCredential(client_id=creds["client_id"])
    return identity.DefaultAzureCredential(authority=authority)
