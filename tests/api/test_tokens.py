"""Personal API tokens: hashed at rest, shown once, revocable, read-only or read-write."""

from __future__ import annotations

import pytest

from posture.access.models import ApiToken

pytestmark = pytest.mark.django_db


def test_token_lifecycle(client, user_with_role, account) -> None:
    analyst = user_with_role("analyst")
    client.force_login(analyst)
    created = client.post("/api/v1/tokens/", {"name": "jira", "read_only": True}, content_type="application/json")
    assert created.status_code == 201
    key = created.json()["key"]
    stored = ApiToken.objects.get()
    assert key not in (stored.key_hash, stored.hint) and key.endswith(stored.hint)
    assert "key" not in client.get("/api/v1/tokens/").json()["results"][0]
    client.logout()

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert client.get("/api/v1/findings/", **bearer).status_code == 200
    refused = client.post("/api/v1/scans/", {"account": account.name}, content_type="application/json", **bearer)
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert client.get("/api/v1/findings/", HTTP_AUTHORIZATION="Bearer pst_wrong").status_code == 401

    client.force_login(analyst)
    assert client.delete(f"/api/v1/tokens/{stored.pk}/").status_code == 204
    client.logout()
    assert client.get("/api/v1/findings/", **bearer).status_code == 401


def test_a_read_write_token_can_start_a_scan(client, user_with_role, account) -> None:
    from posture.access.tokens import issue_token

    _, key = issue_token(user_with_role("analyst"), "ci")
    response = client.post(
        "/api/v1/scans/", {"account": account.name}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 202, response.content
