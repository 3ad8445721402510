"""Every page and endpoint requires login; roles exist from the first migration."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["/", "/api/v1/", "/api/v1/accounts/", "/api/v1/scans/", "/api/v1/findings/"]


def test_roles_exist_from_the_first_migration() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {"admin", "analyst", "viewer"}


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_users_are_turned_away(client, url) -> None:
    response = client.get(url)
    if url.startswith("/api/"):
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_page_is_open(client) -> None:
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_a_user_without_a_role_reads_nothing_from_the_api(client, user_with_role, url) -> None:
    client.force_login(user_with_role(None))
    if url.startswith("/api/"):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("role", ["viewer", "analyst", "admin"])
def test_every_role_reads(client, user_with_role, role) -> None:
    client.force_login(user_with_role(role))
    for url in PAGES:
        assert client.get(url).status_code == 200, url


def test_admin_only_endpoints(client, user_with_role) -> None:
    client.force_login(user_with_role("analyst"))
    assert client.get("/api/v1/audit/").status_code == 403
    assert (
        client.post("/api/v1/accounts/", {"provider": "aws", "name": "x"}, content_type="application/json").status_code
        == 403
    )
    client.force_login(user_with_role("admin"))
    assert client.get("/api/v1/audit/").status_code == 200


def test_viewers_cannot_change_anything(client, user_with_role, account) -> None:
    client.force_login(user_with_role("viewer"))
    assert client.post("/api/v1/scans/", {"account": account.name}, content_type="application/json").status_code == 403
    assert (
        client.post("/api/v1/mutes/", {"rule_id": "x", "reason": "y"}, content_type="application/json").status_code
        == 403
    )
