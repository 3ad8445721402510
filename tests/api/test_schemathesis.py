"""Property-based run of every API operation from the committed schema: no input gives a 500.

Runs as an admin token (the role that reaches every endpoint) over an account that has been scanned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth.models import Group, User
from hypothesis import HealthCheck, settings

from posture.access.tokens import issue_token
from posture.scans.pipeline import create_scan, run_scan

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "posture" / "api" / "openapi.yaml"


def wsgi_app():
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


schema = schemathesis.openapi.from_path(SCHEMA_PATH)


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


@pytest.fixture
def admin_token(account, keep_connection) -> str:
    run_scan(create_scan(account).pk)
    user = User.objects.create_user("fuzzer", password="a-long-test-password")
    user.groups.add(Group.objects.get(name="admin"))
    return issue_token(user, "fuzz")[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_input_is_a_server_error(case, admin_token) -> None:
    if case.method == "DELETE" and case.path.startswith("/api/v1/accounts/"):
        pytest.skip("deleting the fixture account leaves nothing to fuzz")
    response = case.call(app=wsgi_app(), headers={"Authorization": f"Bearer {admin_token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    )
