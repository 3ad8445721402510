"""Repeated failed sign-ins lock the user name (and the address) for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from posture.access.models import LoginFailure

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-correct-password"


def sign_in(client, password: str, address: str = "198.51.100.7") -> bool:
    response = client.post("/login/", {"username": "ana", "password": password}, REMOTE_ADDR=address)
    return response.status_code == 302


def test_lockout_after_repeated_failures_then_release(client, settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USER = 3
    User.objects.create_user("ana", password=PASSWORD)
    assert sign_in(client, PASSWORD)
    client.logout()
    for _ in range(3):
        assert not sign_in(client, "wrong")
    assert not sign_in(client, PASSWORD), "the right password must not get through a lockout"
    assert not sign_in(client, PASSWORD, address="203.0.113.9"), "the lock is on the user name, from anywhere"
    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1))
    assert sign_in(client, PASSWORD)


def test_one_address_trying_many_names_is_locked(client, settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 4
    User.objects.create_user("ana", password=PASSWORD)
    for n in range(4):
        client.post("/login/", {"username": f"guess{n}", "password": "x"}, REMOTE_ADDR="198.51.100.8")
    assert not sign_in(client, PASSWORD, address="198.51.100.8")
    assert sign_in(client, PASSWORD, address="198.51.100.9")
