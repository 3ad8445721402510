"""Forged requests: missing or wrong CSRF tokens, tampered and revoked API tokens, roles overreaching,
other teams' ids guessed through every write route, Host header injection, open redirects, method
override tricks, and malformed or oversized bodies. Each is refused cleanly and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from posture.access.tokens import issue_token
from posture.findings.models import Finding, MuteRule
from posture.integrations.models import Delivery, JiraConnection, WebhookEndpoint
from posture.scans.models import Scan
from tests.api.test_team_scoping import attest
from tests.conftest import scanned_team_accounts
from tests.support.fingerprint import fingerprint

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"

# Every API write, with another team's objects (or another user's token) in it; JSON bodies.
EXPIRES = (datetime.now(UTC) + timedelta(days=30)).isoformat()
API_WRITES = [
    ("post", "/api/v1/accounts/", {"provider": "testcloud", "name": "new-one", "team": "{team}"}),
    ("put", "/api/v1/accounts/{account}/", {"team": "mine"}),
    ("patch", "/api/v1/accounts/{account}/", {"team": "mine"}),
    ("delete", "/api/v1/accounts/{account}/", None),
    ("post", "/api/v1/accounts/{account}/test/", None),
    ("post", "/api/v1/scans/", {"account": "{name}"}),
    ("post", "/api/v1/scans/{scan}/cancel/", None),
    ("post", "/api/v1/scans/{scan}/baseline/", None),
    ("delete", "/api/v1/scans/{scan}/baseline/", None),
    ("post", "/api/v1/mutes/", {"account": "{name}", "rule_id": "x", "reason": "r"}),
    ("delete", "/api/v1/mutes/{mute}/", None),
    (
        "post",
        "/api/v1/attestations/",
        {"framework_id": "test-benchmark-1.0", "control_id": "1.2", "account": "{name}", "result": "pass"}
        | {"note": "seen", "expires_at": EXPIRES},
    ),
    ("delete", "/api/v1/attestations/{attestation}/", None),
    ("post", "/api/v1/integrations/tickets/", {"connection": "jira", "finding": "{finding}"}),
    ("post", "/api/v1/tokens/", {"name": "t"}),
    ("delete", "/api/v1/tokens/{token}/", None),
    ("post", "/api/v1/integrations/webhooks/", {"name": "h2", "url": "http://127.0.0.1:9/", "secret": "s" * 32}),
    ("put", "/api/v1/integrations/webhooks/{webhook}/", {"url": "http://127.0.0.1:9/x"}),
    ("patch", "/api/v1/integrations/webhooks/{webhook}/", {"url": "http://127.0.0.1:9/x"}),
    ("delete", "/api/v1/integrations/webhooks/{webhook}/", None),
    ("post", "/api/v1/integrations/webhooks/{webhook}/test/", None),
    ("post", "/api/v1/integrations/jira/", {"name": "j2"}),
    ("put", "/api/v1/integrations/jira/{jira}/", {"project_key": "X"}),
    ("patch", "/api/v1/integrations/jira/{jira}/", {"project_key": "X"}),
    ("delete", "/api/v1/integrations/jira/{jira}/", None),
    ("post", "/api/v1/integrations/jira/{jira}/test/", None),
    ("post", "/api/v1/integrations/deliveries/{delivery}/resend/", None),
    ("post", "/api/v1/images/scans/", {"ArtifactName": "{name}", "Results": []}),  # a report naming no digest
]


def person(role: str, *teams: str, name: str = "") -> User:
    user = User.objects.create_user(name or f"{role}-{'-'.join(teams) or 'all'}", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    for team in teams:
        user.groups.add(Group.objects.get_or_create(name=f"team:{team}")[0])
    return user


@pytest.fixture
def estate_of_teams(estate) -> dict[str, dict]:
    jira = JiraConnection(name="jira", flavor="cloud", base_url="http://127.0.0.1:9/", project_key="SEC")
    jira.token = "jira-token"
    jira.save()
    hook = WebhookEndpoint(name="hook", url="http://127.0.0.1:9/", events=["finding.new_failure"])
    hook.secret = "hook-secret"
    hook.save()
    delivery = Delivery.objects.create(
        webhook=hook, event="finding.new_failure", dedupe_key="d", status="failed", next_attempt_at="2026-01-01T00:00Z"
    )
    teams = {}
    for team, account in scanned_team_accounts(estate, ("red", "blue")).items():
        teams[team] = {
            "account": account.pk,
            "name": account.name,
            "team": team,
            "scan": Scan.objects.create(account=account, state="queued").pk,  # cancellable
            "finding": Finding.objects.filter(account=account).order_by("id").first().pk,
            "mute": MuteRule.objects.create(account=account, rule_id="r.x", reason=team).pk,
            "attestation": attest(account),
            "webhook": hook.pk,
            "jira": jira.pk,
            "delivery": delivery.pk,
        }
    return teams


def bearer(user: User, read_only: bool = False) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, 'forged', read_only=read_only)[1]}"}


def call(client: Client, method: str, url: str, body: dict | None, **headers: str):
    if body is None:
        return getattr(client, method)(url, **headers)
    return getattr(client, method)(url, json.dumps(body), content_type="application/json", **headers)


def fill(body: dict | None, ids: dict) -> dict | None:
    return None if body is None else {k: v.format(**ids) if isinstance(v, str) else v for k, v in body.items()}


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_another_teams_ids_on_every_write_answer_as_missing_ones(client, estate_of_teams, role) -> None:
    me = person(role, "red")
    other = person("viewer", "blue", name="someone-else")
    theirs = dict(estate_of_teams["blue"], token=issue_token(other, "theirs")[0].pk)
    missing = {key: 999000 + i for i, key in enumerate(theirs)} | {"name": "no-such-account", "team": "no-such-team"}
    headers = bearer(me)
    before = fingerprint()
    for method, template, body in API_WRITES:
        answers = []
        for ids in (theirs, missing):
            response = call(client, method, template.format(**ids), fill(body, ids), **headers)
            text = response.content.decode()
            for key, value in sorted(ids.items(), key=lambda kv: -len(str(kv[1]))):
                text = text.replace(str(value), f"<{key}>")
            answers.append((response.status_code, text))
        assert answers[0] == answers[1], (method, template, answers)
        assert answers[0][0] in (400, 403, 404), (method, template, answers)
        if "/tokens/" in template:
            continue  # every role manages its own tokens
        if role == "viewer" or "/integrations/webhooks" in template or "/integrations/jira" in template:
            assert answers[0][0] == 403, (method, template)
    after = fingerprint()
    after["audit"], after["tokens"] = before["audit"], before["tokens"]  # the tokens issued above
    assert after == before


def test_csrf_is_required_for_session_writes_on_pages_and_the_api(estate_of_teams) -> None:
    analyst = person("analyst", "red")
    client = Client(enforce_csrf_checks=True)
    client.force_login(analyst)
    finding = estate_of_teams["red"]["finding"]
    before = fingerprint()
    body = {"account": "acct-red", "rule_id": "x", "reason": "r"}
    for token in (None, "wrong-token-" + "x" * 52):
        headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
        assert client.post(f"/findings/{finding}/mute/", {"reason": "r"}, **headers).status_code == 403
        assert (
            client.post("/scans/start/", {"account": estate_of_teams["red"]["account"]}, **headers).status_code == 403
        )
        api = client.post("/api/v1/mutes/", json.dumps(body), content_type="application/json", **headers)
        assert api.status_code == 403 and "CSRF" in api.json()["detail"]
        assert client.delete(f"/api/v1/mutes/{estate_of_teams['red']['mute']}/", **headers).status_code == 403
    assert fingerprint() == before

    page = client.get("/findings/")
    csrf = page.cookies["csrftoken"].value
    htmx = {"HTTP_X_CSRFTOKEN": csrf, "HTTP_HX_REQUEST": "true"}
    assert client.post(f"/findings/{finding}/mute/", {"reason": "accepted"}, **htmx).status_code in (200, 302)
    assert Finding.objects.get(pk=finding).muted
    api = client.post("/api/v1/mutes/", json.dumps(body), content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
    assert api.status_code == 201


def test_bearer_tokens_need_no_csrf_but_must_be_genuine(client, estate_of_teams) -> None:
    analyst = person("analyst", "red")
    token, key = issue_token(analyst, "mine")
    body = json.dumps({"account": "acct-red", "rule_id": "x", "reason": "r"})
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    before = fingerprint()
    for forged in (tampered, key + "x", key.upper(), "pst_" + "0" * 40, ""):
        response = Client(enforce_csrf_checks=True).post(
            "/api/v1/mutes/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {forged}"
        )
        assert response.status_code == 401, forged
    assert fingerprint() == before
    ok = Client(enforce_csrf_checks=True).post(
        "/api/v1/mutes/", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert ok.status_code == 201  # a bearer token is not a cookie: no CSRF to forge

    token.revoked_at = token.created_at
    token.save()
    assert client.get("/api/v1/findings/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    _, key2 = issue_token(analyst, "second")
    analyst.is_active = False
    analyst.save()
    assert client.get("/api/v1/findings/", HTTP_AUTHORIZATION=f"Bearer {key2}").status_code == 401


def test_read_only_and_viewer_tokens_cannot_write(client, estate_of_teams) -> None:
    red = estate_of_teams["red"]
    read_only = bearer(person("admin"), read_only=True)
    viewer = bearer(person("viewer", "red"))
    analyst = bearer(person("analyst", "red"))
    before = fingerprint()
    for headers, allowed in ((read_only, set()), (viewer, set()), (analyst, {"/api/v1/scans/", "/api/v1/mutes/"})):
        for method, url, body in (
            ("post", "/api/v1/scans/", {"account": red["name"]}),
            ("post", "/api/v1/mutes/", {"account": red["name"], "rule_id": "x", "reason": "r"}),
            ("delete", f"/api/v1/accounts/{red['account']}/", None),
            ("patch", f"/api/v1/accounts/{red['account']}/", {"team": "blue"}),
            ("post", "/api/v1/integrations/webhooks/", {"name": "h", "url": "http://127.0.0.1:9/"}),
            ("post", f"/api/v1/integrations/deliveries/{red['delivery']}/resend/", None),
        ):
            if url in allowed:
                continue
            response = call(client, method, url, body, **headers)
            assert response.status_code == 403, (method, url, response.content)
    assert client.get("/api/v1/findings/", **read_only).status_code == 200
    after = fingerprint()
    after["audit"] = before["audit"]
    assert after == before


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example", "localhost:8000@evil.example"])
def test_a_foreign_host_header_is_refused(admin_client, host) -> None:
    for url in ("/", "/login/", "/api/v1/findings/"):
        assert admin_client.get(url, HTTP_HOST=host).status_code == 400
    response = Client().post("/login/", {"username": "x", "password": "y"}, HTTP_HOST=host)
    assert response.status_code == 400
    forwarded = admin_client.get("/", HTTP_X_FORWARDED_HOST=host)  # not trusted: USE_X_FORWARDED_HOST is off
    assert host.encode() not in forwarded.content


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "http:/evil.example", "javascript:alert(1)"],
)
def test_login_never_redirects_off_site(db, target) -> None:
    person("viewer", name="walker")
    client = Client()
    response = client.post(f"/login/?next={target}", {"username": "walker", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location, location
    assert "javascript" not in location
    assert Client().get(f"/login/?next={target}").status_code == 200
    response = client.post(f"/logout/?next={target}")
    assert response.status_code in (200, 302)
    assert response.status_code == 200 or (response["Location"].startswith("/") and "evil" not in response["Location"])


def test_method_override_tricks_change_nothing(client, estate_of_teams) -> None:
    red = estate_of_teams["red"]
    viewer = bearer(person("viewer", "red"))
    before = fingerprint()
    for header in ("HTTP_X_HTTP_METHOD_OVERRIDE", "HTTP_X_HTTP_METHOD", "HTTP_X_METHOD_OVERRIDE"):
        response = client.get(f"/api/v1/accounts/{red['account']}/", **{header: "DELETE"}, **viewer)
        assert response.status_code == 200
        response = client.post(f"/api/v1/mutes/{red['mute']}/", **{header: "DELETE"}, **viewer)
        assert response.status_code in (403, 405)
    assert client.post(f"/api/v1/mutes/{red['mute']}/?_method=DELETE", **viewer).status_code in (403, 405)
    for method in ("head", "options"):
        assert getattr(client, method)(f"/api/v1/mutes/{red['mute']}/", **viewer).status_code in (200, 405)
    page = Client()
    page.force_login(User.objects.get(username="viewer-red"))
    for url in (f"/findings/{red['finding']}/mute/", "/scans/start/", f"/accounts/{red['account']}/remove/"):
        assert page.get(url).status_code == 405, url  # state changes are POST only
    after = fingerprint()
    after["audit"] = before["audit"]
    assert after == before


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"account": ', b"\xff\xfe\x00", b"[]", b"null", b'"text"', b"1e999999"],
)
def test_malformed_json_is_a_400(client, estate_of_teams, body) -> None:
    headers = bearer(person("admin"))
    before = fingerprint()
    for url in ("/api/v1/mutes/", "/api/v1/scans/", "/api/v1/accounts/", "/api/v1/integrations/webhooks/"):
        response = client.post(url, body, content_type="application/json", **headers)
        assert response.status_code == 400, (url, body, response.status_code)
    response = client.patch(
        f"/api/v1/accounts/{estate_of_teams['red']['account']}/", body, content_type="application/json", **headers
    )
    assert response.status_code == 400
    after = fingerprint()
    after["audit"] = before["audit"]
    assert after == before


def test_oversized_and_deeply_nested_bodies_are_a_400(client, settings, estate_of_teams) -> None:
    headers = bearer(person("admin"))
    big = json.dumps(
        {"account": "acct-red", "rule_id": "x", "reason": "r" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )
    assert client.post("/api/v1/mutes/", big, content_type="application/json", **headers).status_code in (400, 413)
    deep = "[" * 100_000 + "]" * 100_000
    assert client.post("/api/v1/mutes/", deep, content_type="application/json", **headers).status_code == 400
    assert not MuteRule.objects.filter(rule_id="x").exists()
    page = Client()
    page.force_login(User.objects.get(username="admin-all"))
    form = {"account": estate_of_teams["red"]["account"], "rule_id": "x", "reason": "r" * 3_000_000}
    assert page.post("/settings/mutes/", form).status_code in (400, 413)
    assert not MuteRule.objects.filter(rule_id="x").exists()
