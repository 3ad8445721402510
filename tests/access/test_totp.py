"""TOTP second factor: set-up from Settings, the code step after the password, lockout, replay, admins, reset."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from posture.access import totp
from posture.access.models import AuditLog, LoginFailure, TotpDevice
from posture.access.tokens import issue_token
from posture.crypto import decrypt_json

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"
STEP = 30


def make_user(name: str, role: str | None = "analyst") -> User:
    user = User.objects.create_user(name, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def code_at(device: TotpDevice, steps_ahead: int = 0) -> str:
    """The code a phone shows now (+n steps: a phone clock slightly ahead, allowed within one step)."""
    return totp.code_for(device, now=time.time() + steps_ahead * STEP)


def enrol(user: User) -> TotpDevice:
    """Set up and confirm with the code of the step before (so that the current step is still free)."""
    device = totp.start_enrolment(user)
    assert totp.confirm(device, code_at(device, -1))
    return device


def password_step(client: Client, name: str, password: str = PASSWORD, address: str = "198.51.100.20"):
    return client.post("/login/", {"username": name, "password": password}, REMOTE_ADDR=address)


def signed_in(client: Client) -> bool:
    return client.get("/settings/").status_code == 200


def test_enrolment_from_settings_shows_a_qr_code_and_needs_a_right_code(client) -> None:
    user = make_user("ana")
    client.force_login(user)
    assert 'href="/settings/totp/"' in client.get("/settings/").content.decode()
    page = client.get("/settings/totp/").content.decode()
    assert 'src="data:image/svg+xml' in page  # no outside QR service; img-src data: is in the CSP
    assert "otpauth://totp/Posture:ana?secret=" in page
    device = TotpDevice.objects.get(user=user)
    secret = decrypt_json(device.secret_encrypted)["totp"]
    assert secret in page and secret not in device.secret_encrypted, "the secret is encrypted at rest"
    assert client.get("/settings/totp/").content.decode().count(secret) >= 1, "the same key until confirmed"

    response = client.post("/settings/totp/confirm/", {"code": "000000" if code_at(device) != "000000" else "111111"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed_at is None
    client.post("/settings/totp/confirm/", {"code": pyotp.TOTP(secret).now()})
    device.refresh_from_db()
    assert device.confirmed_at is not None
    assert AuditLog.objects.filter(action="totp.enrol", actor=user).exists()
    assert "since" in client.get("/settings/totp/").content.decode()


def test_sign_in_asks_for_the_code_after_the_password(client) -> None:
    user = make_user("ana")
    device = enrol(user)
    response = password_step(client, "ana")
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    assert not signed_in(client), "the password alone does not sign in"
    assert "6-digit code" in client.get("/login/code/").content.decode()
    response = client.post("/login/code/", {"code": code_at(device)})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in(client)
    entry = AuditLog.objects.filter(action="login").latest("id")
    assert entry.detail == {"method": "password", "second_factor": True}


def test_without_totp_the_password_is_enough(client) -> None:
    make_user("ana")
    assert password_step(client, "ana")["Location"] == "/"
    assert signed_in(client)


def test_a_wrong_code_is_refused_and_counts_toward_the_lockout(client, settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USER = 3
    user = make_user("ana")
    device = enrol(user)
    password_step(client, "ana")
    right = code_at(device)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(3):
        response = client.post("/login/code/", {"code": wrong}, REMOTE_ADDR="198.51.100.20")
        assert response.status_code == 400 and "not right" in response.content.decode()
    assert LoginFailure.objects.filter(username="ana").count() == 3
    assert AuditLog.objects.filter(action="login.totp_failed").count() == 3
    assert client.post("/login/code/", {"code": right}).status_code == 400, "locked: even the right code"
    assert not signed_in(client)
    assert password_step(client, "ana").status_code == 200, "the password again does not clear the lock"


def test_a_code_cannot_be_used_twice(client) -> None:
    user = make_user("ana")
    device = enrol(user)
    password_step(client, "ana")
    code = code_at(device)
    assert client.post("/login/code/", {"code": code})["Location"] == "/"
    client.logout()
    password_step(client, "ana")
    assert client.post("/login/code/", {"code": code}).status_code == 400, "replayed within its window"
    assert not signed_in(client)
    assert client.post("/login/code/", {"code": code_at(device, 1)})["Location"] == "/"


def test_the_code_step_expires(client) -> None:
    user = make_user("ana")
    device = enrol(user)
    password_step(client, "ana")
    session = client.session
    session["posture_pending_second_factor"]["at"] -= 301
    session.save()
    response = client.post("/login/code/", {"code": code_at(device)})
    assert response.status_code == 400 and "took too long" in response.content.decode()
    assert not signed_in(client)


def test_admins_must_enrol_first_when_the_setting_says_so(client, settings) -> None:
    settings.REQUIRE_ADMIN_TOTP = True
    admin = make_user("root", "admin")
    make_user("ana", "analyst")
    analyst = Client()
    password_step(analyst, "ana")
    assert analyst.get("/findings/").status_code == 200, "only admins are held back"

    password_step(client, "root")
    response = client.get("/findings/")
    assert response.status_code == 302 and response["Location"] == "/settings/totp/?required=1"
    assert client.get("/api/v1/accounts/").status_code == 403
    page = client.get("/settings/totp/?required=1").content.decode()
    assert "must set up a second factor" in page and "Turn off" not in page
    _, key = issue_token(admin, "ci", read_only=True)
    api = Client().get("/api/v1/accounts/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 200, "API tokens are not held back"

    device = TotpDevice.objects.get(user=admin)
    client.post("/settings/totp/confirm/", {"code": code_at(device)})
    assert client.get("/findings/").status_code == 200
    assert client.post("/settings/totp/remove/", {"code": code_at(device, 1)}).status_code == 302
    assert totp.has_totp(admin), "an admin cannot turn it off while it is required"


def test_users_may_turn_it_off_with_a_code(client) -> None:
    user = make_user("ana")
    device = enrol(user)
    client.force_login(user)
    client.post("/settings/totp/remove/", {"code": "000000" if code_at(device) != "000000" else "111111"})
    assert totp.has_totp(user)
    client.post("/settings/totp/remove/", {"code": code_at(device)})
    assert not totp.has_totp(user)
    assert AuditLog.objects.filter(action="totp.remove").exists()


def test_wrong_codes_to_turn_it_off_count_toward_the_lockout_and_are_audited(client, settings) -> None:
    settings.LOGIN_MAX_FAILURES_PER_USER = 3
    user = make_user("ana")
    device = enrol(user)
    client.force_login(user)
    right = code_at(device)
    wrong = "123456" if right != "123456" else "654321"
    for _ in range(3):
        response = client.post("/settings/totp/remove/", {"code": wrong}, follow=True)
        assert "That code is not right" in response.content.decode()
    assert LoginFailure.objects.filter(username="ana").count() == 3, "counted as failed sign-ins"
    response = client.post("/settings/totp/remove/", {"code": right}, follow=True)
    assert "Too many wrong codes" in response.content.decode()
    assert totp.has_totp(user), "locked: even the right code"
    assert password_step(Client(), "ana").status_code == 200, "and the sign-in is locked too"
    failed = AuditLog.objects.filter(action="totp.remove_failed").order_by("id")
    assert [e.detail["reason"] for e in failed] == ["wrong_code"] * 3 + ["locked"]
    assert all(e.actor == user for e in failed)

    LoginFailure.objects.update(at=timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1))
    client.post("/settings/totp/remove/", {"code": right})
    assert not totp.has_totp(user)
    assert AuditLog.objects.get(action="totp.remove").actor == user


def test_an_admin_resets_another_users_second_factor(client) -> None:
    admin = make_user("root", "admin")
    ana = make_user("ana")
    enrol(ana)
    viewer = Client()
    viewer.force_login(make_user("vee", "viewer"))
    assert viewer.post(f"/settings/users/{ana.pk}/totp-reset/").status_code == 403
    assert totp.has_totp(ana)
    client.force_login(admin)
    assert 'aria-label="Reset the second factor of ana"' in client.get("/settings/").content.decode()
    assert client.post(f"/settings/users/{ana.pk}/totp-reset/").status_code == 302
    assert not totp.has_totp(ana)
    entry = AuditLog.objects.get(action="totp.reset")
    assert entry.actor == admin and entry.object_id == str(ana.pk)
    assert password_step(Client(), "ana")["Location"] == "/", "a password alone until they enrol again"


def test_reset_from_the_command_line(capsys) -> None:
    ana = make_user("ana")
    enrol(ana)
    call_command("totp", "reset", "ana")
    assert "removed ana's second factor" in capsys.readouterr().out
    assert not totp.has_totp(ana)
    assert AuditLog.objects.get(action="totp.reset").source == "cli"
    call_command("totp", "reset", "ana")
    assert "nothing to reset" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("totp", "reset", "nobody")


def test_rotate_reencrypts_with_the_newest_key(settings) -> None:
    from cryptography.fernet import Fernet

    device = enrol(make_user("ana"))
    before = device.secret_encrypted
    secret = decrypt_json(before)["totp"]
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENCRYPTION_KEYS]
    call_command("totp", "rotate")
    device.refresh_from_db()
    assert device.secret_encrypted != before
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert decrypt_json(device.secret_encrypted)["totp"] == secret


def test_the_admin_site_signs_in_through_posture(client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
