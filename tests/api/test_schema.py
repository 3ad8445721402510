"""The committed OpenAPI schema matches the code; the docs page serves without a CDN."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "posture" / "api" / "openapi.yaml"


def test_committed_schema_is_current(tmp_path) -> None:
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(fresh), "--validate", stderr=StringIO())
    assert fresh.read_text() == SCHEMA.read_text(), (
        "posture/api/openapi.yaml is stale: run  python manage.py spectacular --file posture/api/openapi.yaml"
    )


@pytest.mark.django_db
def test_docs_page_uses_local_assets(client, user_with_role) -> None:
    client.force_login(user_with_role("viewer"))
    page = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in page and "cdn" not in page.lower()
    assert client.get("/api/v1/schema/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/schema/", "/api/v1/docs/"])
def test_schema_and_docs_need_sign_in_unless_opened(client, user_with_role, settings, url) -> None:
    """Like the rest of the API: a session or a token; POSTURE_PUBLIC_API_DOCS=true opens them to anyone."""
    from posture.access.tokens import issue_token

    assert client.get(url).status_code == 401
    _, secret = issue_token(user_with_role("viewer"), "docs")
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    settings.PUBLIC_API_DOCS = True
    assert client.get(url).status_code == 200
