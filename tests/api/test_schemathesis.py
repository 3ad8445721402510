"""Property-based run of every API operation from the committed schema, as each role.

As a viewer and an analyst of team red, an admin, and an admin's read-only token, over two scanned
accounts (red's and blue's): no input gives a 5xx; every answer is one the schema documents (status
code, content type, body); what the role may not do is never a 2xx (403/404 or a 400 before anything
is looked at); and no 2xx answer to a red member mentions blue's account.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from posture.access.tokens import issue_token
from tests.conftest import scanned_team_accounts

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "posture" / "api" / "openapi.yaml"
EXAMPLES = 6  # per operation and role, each answer checked against the schema: 55 operations x 4 roles, ~40 s
schema = schemathesis.openapi.from_path(SCHEMA_PATH)
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
SAFE = {"GET", "HEAD", "OPTIONS"}
ADMIN_ONLY = ("/api/v1/audit/", "/api/v1/integrations/webhooks/", "/api/v1/integrations/jira/")
ADMIN_ONLY += ("/api/v1/integrations/deliveries/",)
# Every answer must be one the schema documents: its status code, content type and body shape.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@cache
def wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


@pytest.fixture
def keep_connection():
    """As Django's test client does: requests must not close the test's database connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def forbidden(who: str, method: str, path: str) -> bool:
    """Whether the role (or token) may not do this at all."""
    if who == "admin":
        return False
    if who == "read-only":
        return method not in SAFE
    if path.startswith(ADMIN_ONLY):
        return True
    if method in SAFE or path.startswith("/api/v1/tokens/"):
        return False  # reads, and everyone's own tokens
    if path.startswith("/api/v1/accounts/"):
        return True  # accounts change by admins only
    return who == "viewer"


@pytest.fixture
def world(estate, keep_connection) -> dict[str, str]:
    scanned_team_accounts(estate, ("red", "blue"))
    keys = {}
    for role in ("viewer", "analyst", "admin"):
        user = User.objects.create_user(f"fuzz-{role}", password="a-long-test-password")
        user.groups.add(Group.objects.get(name=role))
        if role != "admin":
            user.groups.add(Group.objects.get_or_create(name="team:red")[0])
        keys[role] = issue_token(user, "fuzz")[1]
    keys["read-only"] = issue_token(User.objects.get(username="fuzz-admin"), "fuzz-ro", read_only=True)[1]
    return keys


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["viewer", "analyst", "admin", "read-only"])
def test_every_operation_as_each_role(who, world) -> None:
    headers = {"Authorization": f"Bearer {world[who]}"}
    problems: list[str] = []
    statuses: dict[int, int] = {}
    for operation in OPERATIONS:
        if operation.method.upper() == "DELETE" and operation.path.startswith(("/api/v1/accounts/", "/api/v1/tokens/")):
            continue  # deleting the fixture accounts, or revoking the token in use, leaves nothing to fuzz

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def run(case) -> None:
            response = case.call(app=wsgi_app(), headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            where = f"{who} {case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}"
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:  # one exception per failed check
                problems.extend(f"{type(exc).__name__}: {where}" for exc in group.exceptions)
            if response.status_code < 300 and forbidden(who, case.method.upper(), case.formatted_path):
                problems.append("allowed: " + where)
            elif response.status_code < 300 and who in ("viewer", "analyst") and "acct-blue" in response.text:
                problems.append("another team's account: " + where)

        run()
    assert not problems, "\n".join(problems[:40])
    assert sum(statuses.values()) >= len(OPERATIONS) - 2, statuses  # every operation was called
    assert 401 not in statuses, statuses  # the token held throughout
    assert any(200 <= code < 300 for code in statuses), statuses
    if who != "admin":
        assert statuses.get(403), statuses  # the role's limits were met, and held
