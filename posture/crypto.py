"""Secrets at rest: Fernet with key rotation.

``POSTURE_ENCRYPTION_KEYS`` holds Fernet keys, newest first: the first
encrypts, every one decrypts. To rotate, put a new key in front, run
``python manage.py credentials rotate``, then drop the old key.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(RuntimeError):
    pass


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("POSTURE_ENCRYPTION_KEYS is empty")
    fernets = []
    for n, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"POSTURE_ENCRYPTION_KEYS: key #{n} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from None
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.ENCRYPTION_KEYS))


def encrypt_json(value: dict[str, Any]) -> str:
    return fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise DecryptionError(
            "stored credentials cannot be decrypted with the configured POSTURE_ENCRYPTION_KEYS"
        ) from None


def rotate(token: str) -> str:
    """The same secret, encrypted again with the newest key."""
    return fernet().rotate(token.encode()).decode() if token else token
