"""List endpoints and pages: fields, no secrets, and a fixed number of queries."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_client(client, user_with_role):
    client.force_login(user_with_role("viewer"))
    return client


def test_findings_list_fields_and_filters(viewer_client, scanned) -> None:
    body = viewer_client.get("/api/v1/findings/?status=FAIL").json()
    assert {f["resource"]["uid"] for f in body["results"]} == {"b-public", "u-alice"}
    first = body["results"][0]
    assert {"rule_id", "status", "severity", "evidence", "first_seen", "last_seen", "account"} <= set(first)


def test_accounts_never_return_credentials(viewer_client, scanned) -> None:
    body = viewer_client.get("/api/v1/accounts/").json()
    text = json.dumps(body)
    assert body["results"][0]["has_credentials"] is True
    assert "estate.json" not in text and "credentials_encrypted" not in text


def test_scans_show_state_counts_and_errors(viewer_client, scanned) -> None:
    scan = viewer_client.get("/api/v1/scans/").json()["results"][0]
    assert scan["state"] == "succeeded" and scan["progress"] == 100 and scan["errors"] == []
    assert scan["counts"]["findings"] == {"FAIL": 2, "PASS": 2}


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, user, groups (role), count-free cursor page
        ("/api/v1/findings/", 4),
        ("/api/v1/scans/", 4),
        ("/api/v1/accounts/", 4),
        ("/api/v1/resources/", 4),
        ("/api/v1/events/", 4),
        ("/api/v1/mutes/", 4),
        ("/api/v1/tokens/", 4),
        ("/api/v1/findings/changes/?after=0", 4),
        # session, user, groups, latest scan per account, attestations, those scans' scores and snapshots
        ("/api/v1/compliance/test-benchmark-1.0/", 7),
        # session, user, groups, attestations, latest scans (memo key), scores before the window, in it
        ("/api/v1/compliance/test-benchmark-1.0/trend/", 7),
        # session, user, groups; attestations, scores carried into the period, scores in it (every team's
        # trend at once); latest scans, attestations, their scores (the score now)
        ("/api/v1/compliance/test-benchmark-1.0/rollup/?by=team", 9),
        # ... and the accounts' names
        ("/api/v1/compliance/test-benchmark-1.0/rollup/?by=account&days=90", 10),
        # session, user, groups; attestations, the scores at each date, the changed controls' finding events
        ("/api/v1/compliance/test-benchmark-1.0/movement/?from=2026-01-01", 7),
    ],
)
def test_list_query_counts_do_not_grow_with_rows(
    viewer_client, scanned, django_assert_num_queries, url, queries
) -> None:
    with django_assert_num_queries(queries):
        assert viewer_client.get(url).status_code == 200


def _cursor(position: str) -> str:
    from base64 import b64encode
    from urllib.parse import quote

    return quote(b64encode(f"p={position}".encode()).decode())


CURSOR_LISTS = [
    "/api/v1/findings/?",
    "/api/v1/findings/?ordering=first_seen&",
    "/api/v1/findings/?ordering=-last_seen&",
    "/api/v1/scans/?",
    "/api/v1/accounts/?",
    "/api/v1/resources/?",
    "/api/v1/events/?",
    "/api/v1/mutes/?",
    "/api/v1/tokens/?",
    "/api/v1/audit/?",
    "/api/v1/images/scans/?",
]


TAMPERED_CURSORS = [_cursor("abc"), _cursor("9" * 30), _cursor("0001-01-01T00:00:00+14:00"), "not-base64!"]


@pytest.mark.parametrize("url", CURSOR_LISTS)
def test_a_tampered_cursor_is_a_400_naming_the_cursor(client, user_with_role, scanned, url) -> None:
    client.force_login(user_with_role("admin"))
    for cursor in TAMPERED_CURSORS:
        response = client.get(f"{url}cursor={cursor}")
        assert response.status_code == 400, (cursor, response.content)
        assert "not a cursor this API gave" in response.json()["cursor"][0]


def test_a_cursor_the_api_gave_still_pages(client, user_with_role, scanned) -> None:
    client.force_login(user_with_role("admin"))
    for url in CURSOR_LISTS:
        seen, page = [], f"{url}page_size=1"
        while page:
            body = client.get(page).json()
            seen += [item["id"] for item in body["results"]]
            page = body["next"]
        assert len(seen) == len(set(seen)), url
        assert seen or url.startswith(("/api/v1/mutes/", "/api/v1/tokens/", "/api/v1/images/")), url  # empty here
