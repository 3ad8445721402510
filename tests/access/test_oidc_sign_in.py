"""Single sign-on, end to end: Django's test client and the local OpenID provider over real HTTP on loopback."""

from __future__ import annotations

import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.test import Client

from posture.access import oidc
from posture.access.models import AuditLog, ExternalIdentity
from posture.access.roles import Role, role_of
from tests.access.conftest import CALLBACK

pytestmark = pytest.mark.django_db


def start(client: Client, idp) -> str:
    """Press "Sign in with …": the browser is sent to the provider; the URL it would follow."""
    response = client.get("/login/oidc/")
    assert response.status_code == 302, response.content
    assert response["Location"].startswith(f"{idp.url}/authorize?")
    return response["Location"]


def at_provider(url: str) -> str:
    """The provider answers the browser with a redirect to Posture's callback (path and query)."""
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK)
    return location.removeprefix("http://testserver")


def sso(client: Client, idp, user: str):
    idp.auto_user = user
    return client.get(at_provider(start(client, idp)))


def signed_in_as(client: Client) -> str | None:
    response = client.get("/settings/")
    return response.context["user"].username if response.status_code == 200 else None


def last_audit(action: str) -> AuditLog:
    entry = AuditLog.objects.filter(action=action).order_by("-id").first()
    assert entry is not None, f"no {action} audit entry"
    return entry


def test_login_page_offers_the_provider(client, idp) -> None:
    page = client.get("/login/").content.decode()
    assert "Sign in with Test IdP" in page and 'href="/login/oidc/"' in page
    assert 'name="password"' in page  # local accounts stay possible


def test_no_button_without_configuration(client) -> None:
    assert "Sign in with" not in client.get("/login/").content.decode()
    assert client.get("/login/oidc/")["Location"] == "/login/"


def test_first_sign_in_creates_the_user_with_role_and_teams(client, idp, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    response = sso(client, idp, "ana")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == "ana"
    ana = User.objects.get(username="ana")
    assert not ana.has_usable_password(), "an SSO user has no password to guess"
    assert ana.email == "ana@example.test"
    assert set(ana.groups.values_list("name", flat=True)) == {"admin", "team:payments"}
    assert role_of(ana) == Role.ADMIN
    identity = ExternalIdentity.objects.get(user=ana)
    assert (identity.issuer, identity.subject) == (idp.url, "sub-ana")
    entry = last_audit("login")
    assert entry.actor == ana and entry.detail["method"] == "oidc" and entry.detail["created"] is True
    assert entry.detail["role"] == "admin" and entry.detail["teams"] == ["payments"]
    # the relying party did the work over HTTP: discovery, token, keys, userinfo
    paths = [p for _, p in idp.requests]
    assert {"/.well-known/openid-configuration", "/token", "/jwks", "/userinfo"} <= set(paths)
    # no secret in the logs nor in the audit trail
    trail = json.dumps(list(AuditLog.objects.values("detail", "object_repr")))
    for secret in (idp.client_secret, *(g for g in idp._grants), *(t for t in idp._access)):
        assert secret not in caplog.text and secret not in trail


def test_roles_and_teams_follow_the_claims_at_each_sign_in(client, idp) -> None:
    assert sso(client, idp, "sam").status_code == 302
    sam = User.objects.get(username="sam")
    assert set(sam.groups.values_list("name", flat=True)) == {"analyst", "team:platform"}
    sam.groups.add(Group.objects.create(name="reporting"))  # not Posture's to manage
    client.logout()
    idp.users["sam"]["groups"] = ["posture-admins", "readers", "payments-eng"]
    assert sso(client, idp, "sam").status_code == 302
    assert set(sam.groups.values_list("name", flat=True)) == {"admin", "team:payments", "reporting"}
    assert User.objects.filter(username="sam").count() == 1
    assert last_audit("login").detail["created"] is False


def test_a_user_whose_groups_map_to_no_role_is_refused_and_nothing_is_created(client, idp) -> None:
    response = sso(client, idp, "vic")
    assert response.status_code == 403
    assert "was refused" in response.content.decode() and "Ask an administrator" in response.content.decode()
    assert signed_in_as(client) is None
    assert not User.objects.exists() and not ExternalIdentity.objects.exists()
    entry = last_audit("login.oidc_refused")
    assert entry.detail["reason"] == "no_role" and entry.detail["subject"] == "sub-vic"
    assert entry.detail["groups"] == ["marketing"]


def test_a_known_user_who_lost_every_mapped_group_is_refused_and_loses_the_roles(client, idp) -> None:
    sso(client, idp, "sam")
    client.logout()
    idp.users["sam"]["groups"] = ["marketing"]
    assert sso(client, idp, "sam").status_code == 403
    assert signed_in_as(client) is None
    assert not User.objects.get(username="sam").groups.exists()


def test_a_local_account_of_the_same_name_is_not_taken_over(client, idp) -> None:
    local = User.objects.create_user("ana", password="a-long-local-password")
    response = sso(client, idp, "ana")
    assert response.status_code == 403 and "exists already" in response.content.decode()
    assert not ExternalIdentity.objects.exists() and not local.groups.exists()


def test_wrong_state_is_refused(client, idp) -> None:
    idp.auto_user = "ana"
    callback = at_provider(start(client, idp))
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    forged = f"{parts.path}?code={query['code'][0]}&state=forged-{query['state'][0][:10]}"
    response = client.get(forged)
    assert response.status_code == 403 and "state mismatch" in response.content.decode()
    assert not User.objects.exists()
    assert last_audit("login.oidc_refused").detail["reason"] == "bad_state"


def test_a_callback_from_another_browser_is_refused(client, idp) -> None:
    idp.auto_user = "ana"
    callback = at_provider(start(client, idp))
    response = Client().get(callback)  # no flow in that session: login CSRF
    assert response.status_code == 403 and not User.objects.exists()
    assert last_audit("login.oidc_refused").detail["reason"] == "no_flow"


def test_the_answer_is_good_once(client, idp) -> None:
    idp.auto_user = "ana"
    callback = at_provider(start(client, idp))
    assert client.get(callback).status_code == 302
    client.logout()
    assert client.get(callback).status_code == 403


@pytest.mark.parametrize(
    ("fault", "reason", "text"),
    [
        ("bad_signature", "bad_signature", "signature does not verify"),
        ("wrong_audience", "wrong_audience", "another client"),
        ("expired", "expired", "has expired"),
        ("wrong_issuer", "issuer_mismatch", "another issuer"),
        ("wrong_nonce", "bad_nonce", "nonce does not match"),
    ],
)
def test_a_bad_id_token_is_refused(client, idp, fault, reason, text) -> None:
    idp.faults = {fault}
    response = sso(client, idp, "ana")
    assert response.status_code == 403
    assert text in response.content.decode()
    assert signed_in_as(client) is None
    assert not User.objects.exists() and not ExternalIdentity.objects.exists()
    assert last_audit("login.oidc_refused").detail["reason"] == reason


def test_a_sign_in_the_provider_denied_is_refused(client, idp) -> None:
    response = sso(client, idp, "nobody")  # the provider answers error=access_denied
    assert response.status_code == 403 and "access_denied" in response.content.decode()
    assert last_audit("login.oidc_refused").detail["reason"] == "provider_refused"


def test_a_deactivated_user_is_refused(client, idp) -> None:
    sso(client, idp, "sam")
    client.logout()
    User.objects.filter(username="sam").update(is_active=False)
    assert sso(client, idp, "sam").status_code == 403
    assert last_audit("login.oidc_refused").detail["reason"] == "inactive"


def test_a_wrong_client_secret_is_refused_by_the_provider(client, idp, settings) -> None:
    settings.OIDC_CLIENT_SECRET = "not-the-secret"
    response = sso(client, idp, "ana")
    assert response.status_code == 502 and "401" in response.content.decode()
    assert not User.objects.exists()


def test_the_issuer_goes_through_the_outbound_url_guard(client, idp, settings) -> None:
    settings.ALLOWED_NETWORKS = []  # loopback is internal: refused unless allowed
    response = client.get("/login/oidc/")
    assert response.status_code == 502 and "POSTURE_ALLOWED_NETWORKS" in response.content.decode()
    assert idp.requests == [], "nothing was fetched from a refused address"
    assert last_audit("login.oidc_refused").detail["reason"] == "unsafe_url"


def test_a_discovery_document_naming_another_issuer_is_refused(client, idp, settings) -> None:
    settings.OIDC_ISSUER = idp.url.replace("127.0.0.1", "localhost")
    response = client.get("/login/oidc/")
    assert response.status_code == 502 and "names issuer" in response.content.decode()
    assert last_audit("login.oidc_refused").detail["reason"] == "issuer_mismatch"


def test_an_unknown_next_is_not_followed(client, idp) -> None:
    idp.auto_user = "ana"
    location = client.get("/login/oidc/?next=https://evil.example/")["Location"]
    response = client.get(at_provider(location))
    assert response["Location"] == "/"


def test_a_next_on_this_site_is_followed(client, idp) -> None:
    idp.auto_user = "ana"
    location = client.get("/login/oidc/?next=/findings/")["Location"]
    assert client.get(at_provider(location))["Location"] == "/findings/"


def test_password_sign_in_can_be_turned_off(client, idp, settings) -> None:
    User.objects.create_user("lee", password="a-long-local-password")
    settings.LOCAL_LOGIN = False
    page = client.get("/login/").content.decode()
    assert "Sign in with Test IdP" in page and 'name="password"' not in page
    response = client.post("/login/", {"username": "lee", "password": "a-long-local-password"})
    assert response.status_code == 403 and signed_in_as(client) is None
    assert sso(client, idp, "ana").status_code == 302


def test_sso_users_are_not_asked_for_a_totp_code_unless_the_setting_says_so(client, idp, settings) -> None:
    from posture.access import totp
    from tests.access.test_totp import enrol

    sso(client, idp, "ana")
    ana = User.objects.get(username="ana")
    enrol(ana)
    client.logout()
    assert sso(client, idp, "ana")["Location"] == "/"
    client.logout()
    settings.OIDC_REQUIRE_TOTP = True
    assert sso(client, idp, "ana")["Location"] == "/login/code/"
    assert signed_in_as(client) is None
    code = totp.code_for(totp.confirmed_device(ana), now=__import__("time").time() + 30)
    assert client.post("/login/code/", {"code": code})["Location"] == "/"
    assert signed_in_as(client) == "ana"


def test_discovery_is_cached_and_keys_are_fetched_again_for_a_new_kid(client, idp) -> None:
    sso(client, idp, "ana")
    client.logout()
    idp.kid = "rotated"  # the provider rotates its key id: Posture refetches the JWKS once
    assert sso(client, idp, "sam").status_code == 302
    paths = [p for _, p in idp.requests]
    assert paths.count("/.well-known/openid-configuration") == 1
    assert paths.count("/jwks") == 2
    oidc.forget_cached()
