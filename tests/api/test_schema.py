"""The committed OpenAPI schema matches the code; the docs page serves without a CDN."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
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
def test_docs_page_has_no_inline_script_or_style_and_every_script_it_names_is_served(client, user_with_role) -> None:
    """The CSP (script-src 'self', style-src 'self') blocks inline code: the page must not need any."""
    client.force_login(user_with_role("viewer"))
    page = client.get("/api/v1/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and "<style" not in page
    assert all(not body.strip() for _, body in scripts), "an inline script"
    sources = [re.search(r'src="([^"]+)"', attrs).group(1).replace("&amp;", "&") for attrs, _ in scripts]
    for src in sources:
        assert not urlsplit(src).netloc and src.startswith("/"), src  # same origin
        if src.startswith("/static/"):
            assert finders.find(src.removeprefix("/static/")), src
        else:
            response = client.get(src)
            assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
            assert "SwaggerUIBundle(" in response.content.decode()
    for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', page):
        assert href.startswith("/static/") and finders.find(href.removeprefix("/static/")), href
