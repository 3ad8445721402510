from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from posture.scans.pipeline import create_scan, run_scan, shifted_clock
from tests.conftest import estate_doc

PASSWORD = "a-long-test-password"


@pytest.fixture
def make_user(db):
    def make(role: str | None, name: str | None = None) -> User:
        user = User.objects.create_user(name or f"user-{role or 'none'}", password=PASSWORD)
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])  # a transactional test flushes the groups
        return user

    return make


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(make_user) -> Client:
    return client_for(make_user("viewer"))


@pytest.fixture
def analyst(make_user) -> Client:
    return client_for(make_user("analyst"))


@pytest.fixture
def admin(make_user) -> Client:
    return client_for(make_user("admin"))


@pytest.fixture
def scanned(account, estate):
    """Two scans: the first with the MFA user failing, the second with MFA fixed (a resolved event)."""
    run_scan(create_scan(account).pk)
    doc = estate_doc(mfa=True)
    doc["resources"][1]["config"]["versioning"] = True  # a configuration change for drift
    estate.write(doc)
    run_scan(create_scan(account).pk)
    return account


@pytest.fixture
def scanned_history(account, estate):
    """Three weeks of history (scans replayed at earlier times): failing, partly fixed, fixed more."""
    now = timezone.now()
    run_scan(create_scan(account).pk, clock=shifted_clock(now - timedelta(days=20)))
    estate.write(estate_doc(mfa=True))
    run_scan(create_scan(account).pk, clock=shifted_clock(now - timedelta(days=9)))
    estate.write(estate_doc(mfa=True, public=False))
    run_scan(create_scan(account).pk, clock=shifted_clock(now - timedelta(days=2)))
    estate.write(estate_doc(mfa=False, public=True))
    run_scan(create_scan(account).pk)
    return account
