"""Repeated failed sign-ins lock the user name (and the address) for a while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from posture.access.models import LoginFailure
from posture.access.throttle import client_address

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


SPOOFED = "203.0.113.66"  # what the client wrote into X-Forwarded-For itself


def sign_in_through_proxy(client, password: str, forwarded_for: str) -> bool:
    response = client.post(
        "/login/",
        {"username": "ana", "password": password},
        REMOTE_ADDR="10.0.0.2",  # the proxy
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    return response.status_code == 302


def test_behind_a_proxy_the_address_is_the_one_it_appended_not_the_clients_claim(client, settings) -> None:
    """A new left-most entry per guess does not escape the per-address lockout; the real address is recorded."""
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    User.objects.create_user("ana", password=PASSWORD)
    for n in range(3):
        client.post(
            "/login/",
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.44",
        )
    assert set(LoginFailure.objects.values_list("address", flat=True)) == {"192.0.2.44"}
    assert not sign_in_through_proxy(client, PASSWORD, f"{SPOOFED}, 192.0.2.44"), "the address is locked"
    assert sign_in_through_proxy(client, PASSWORD, "192.0.2.45")


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        ("192.0.2.44", 1, "192.0.2.44"),
        (f"{SPOOFED}, 192.0.2.44", 1, "192.0.2.44"),
        (f"{SPOOFED}, 192.0.2.44, 10.0.0.1", 2, "192.0.2.44"),  # two proxies: the outer one saw the client
        ("2001:db8::7", 1, "2001:db8::7"),
        ("192.0.2.44", 2, "10.0.0.2"),  # fewer entries than proxies: not trusted
        (f"{SPOOFED}, not-an-address", 1, "10.0.0.2"),
        ("", 1, "10.0.0.2"),
    ],
)
def test_the_client_address_is_the_nth_from_the_right_and_an_ip(rf, settings, forwarded_for, hops, expected) -> None:
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_COUNT = hops
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_address(request) == expected


def test_without_a_trusted_proxy_the_header_is_ignored(rf, settings) -> None:
    settings.TRUSTED_PROXY_HEADER = ""
    assert client_address(rf.get("/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR=SPOOFED)) == "192.0.2.9"
