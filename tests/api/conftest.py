from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from posture.scans.pipeline import create_scan, run_scan


@pytest.fixture
def user_with_role(db):
    def make(role: str | None) -> User:
        user = User.objects.create_user(f"user-{role or 'none'}", password="a-long-test-password")
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def scanned(account):
    """An account after two scans of the test estate."""
    run_scan(create_scan(account).pk)
    run_scan(create_scan(account).pk)
    return account
