"""The committed OpenAPI schema matches the code; the docs page serves without a CDN."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "posture" / "api" / "openapi.yaml"


def test_committed_schema_is_current(tmp_path) -> None:
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(fresh), "--validate", stderr=StringIO())
    assert fresh.read_text() == SCHEMA.read_text(), (
        "posture/api/openapi.yaml is stale: run  python manage.py spectacular --file posture/api/openapi.yaml"
    )


def test_schema_documents_what_the_api_answers() -> None:
    doc = yaml.safe_load(SCHEMA.read_text())
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    assert schemas["Event"]["properties"]["actor"]["nullable"] is True  # a scan's events have no actor
    export = paths["/api/v1/findings/export/"]["get"]["responses"]
    assert set(export["200"]["content"]) == {"text/csv", "application/json", "application/sarif+json"}
    for path, method in [("/api/v1/frameworks/", "get"), ("/api/v1/compliance/", "get")]:
        assert paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    clusters = paths["/api/v1/accounts/{id}/clusters/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert clusters["schema"]["type"] == "array"  # the whole list, not a page
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403"} <= codes, (method, path)
            assert "{" not in path or "404" in codes, (method, path)


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
