"""The local OpenID provider on loopback, and Posture pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.oidc.server import OidcEmulator
from posture.access import oidc

CALLBACK = "http://testserver/login/oidc/callback/"


def configure(settings, idp: OidcEmulator) -> None:
    settings.OIDC_ISSUER = idp.url
    settings.OIDC_CLIENT_ID = idp.client_id
    settings.OIDC_CLIENT_SECRET = idp.client_secret
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_SCOPES = ["openid", "profile", "email", "groups"]
    settings.OIDC_ROLE_MAP = {"posture-admins": "admin", "security": "analyst", "readers": "viewer"}
    settings.OIDC_TEAM_MAP = {"payments-eng": "payments"}
    settings.OIDC_TEAM_PREFIX = "team-"
    oidc.forget_cached()


@pytest.fixture
def idp(settings) -> Iterator[OidcEmulator]:
    emulator = OidcEmulator(redirect_uris=[CALLBACK]).start()
    configure(settings, emulator)
    yield emulator
    emulator.stop()
    oidc.forget_cached()
