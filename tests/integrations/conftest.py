"""Fixtures for the integration tests: a Jira emulator and a webhook receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulators.jira import JiraEmulator
from tests.integrations.receiver import WebhookReceiver


@pytest.fixture
def jira_cloud() -> Iterator[JiraEmulator]:
    emulator = JiraEmulator("cloud", required_fields={"customfield_10050": "Team"}).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def jira_dc() -> Iterator[JiraEmulator]:
    emulator = JiraEmulator("datacenter", token="dc-personal-access-token").start()
    yield emulator
    emulator.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fast_retries(settings) -> None:
    """Backoff of 0 s: in eager Celery a retry runs at once, so a test sees the whole retry chain."""
    settings.INTEGRATIONS_RETRY_BASE_SECONDS = 0
    settings.POSTURE_BASE_URL = "https://posture.example.test"


@pytest.fixture
def scan(account, django_capture_on_commit_callbacks):
    """Run a scan of the test account and the after-commit work it triggers (signal, deliveries)."""
    from posture.scans.pipeline import create_scan, run_scan

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return run_scan(create_scan(account).pk)

    return run


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """``with after_commit(): ...`` runs what the block queued for after the commit (drains, eager)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def user_with_role(db):
    from django.contrib.auth.models import Group, User

    def make(role: str) -> User:
        user = User.objects.create_user(f"user-{role}", password="a-long-test-password")
        user.groups.add(Group.objects.get(name=role))
        return user

    return make
