"""Credentials at rest: encrypted, rotatable, never in plain text in the database."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from posture.crypto import DecryptionError, _fernet
from posture.inventory.models import CloudAccount

pytestmark = pytest.mark.django_db


def raw_column(account: CloudAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM inventory_cloudaccount WHERE id = %s", [account.pk])
        return cursor.fetchone()[0]


def test_credentials_are_encrypted_and_rotate_to_the_newest_key(settings) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ENCRYPTION_KEYS = [old]
    account = CloudAccount(provider="aws", name="a")
    account.credentials = {"secret_access_key": "hunter2-secret"}
    account.save()
    stored = raw_column(account)
    assert "hunter2" not in stored
    assert Fernet(old.encode()).decrypt(stored.encode())

    settings.ENCRYPTION_KEYS = [new, old]  # newest first: still decrypts the old ciphertext
    assert CloudAccount.objects.get(pk=account.pk).credentials["secret_access_key"] == "hunter2-secret"
    call_command("credentials", "rotate")
    rotated = raw_column(account)
    assert Fernet(new.encode()).decrypt(rotated.encode())

    settings.ENCRYPTION_KEYS = [new]  # the old key can go
    assert CloudAccount.objects.get(pk=account.pk).credentials["secret_access_key"] == "hunter2-secret"


def test_rotation_without_the_old_key_changes_nothing(settings) -> None:
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    account = CloudAccount(provider="aws", name="a")
    account.credentials = {"secret_access_key": "x"}
    account.save()
    before = raw_column(account)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("credentials", "rotate")
    assert raw_column(account) == before
    with pytest.raises(DecryptionError):
        _ = CloudAccount.objects.get(pk=account.pk).credentials
    _fernet.cache_clear()
