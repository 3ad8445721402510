"""TOTP second factor (RFC 6238: 6 digits, 30-second steps, SHA-1, as every authenticator app does).

The secret is encrypted at rest with the credentials' Fernet keys (``POSTURE_ENCRYPTION_KEYS``). A
code is taken for the current step or one step either side (clock drift), and only for a step newer
than the last one accepted: a code seen once cannot be used again, even within its window.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

import pyotp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from posture.access.models import TotpDevice
from posture.crypto import decrypt_json, encrypt_json, rotate

STEP = 30
DRIFT_STEPS = 1
ISSUER = "Posture"


def _secret(device: TotpDevice) -> str:
    return str(decrypt_json(device.secret_encrypted)["totp"])


def _current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP)


def confirmed_device(user: Any) -> TotpDevice | None:
    if not getattr(user, "pk", None):
        return None
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def has_totp(user: Any) -> bool:
    return confirmed_device(user) is not None


def start_enrolment(user: Any) -> TotpDevice:
    """A pending device with a fresh secret (replacing an unconfirmed one); a confirmed one is kept."""
    device = TotpDevice.objects.filter(user=user).first()
    if device is not None and device.confirmed_at is not None:
        raise ValueError("a second factor is already set up; reset it first")
    secret = pyotp.random_base32()
    if device is None:
        return TotpDevice.objects.create(user=user, secret_encrypted=encrypt_json({"totp": secret}))
    device.secret_encrypted = encrypt_json({"totp": secret})
    device.last_used_step = 0
    device.save(update_fields=["secret_encrypted", "last_used_step"])
    return device


def pending_device(user: Any) -> TotpDevice | None:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(_secret(device), interval=STEP).provisioning_uri(
        name=device.user.get_username(), issuer_name=settings.TOTP_ISSUER or ISSUER
    )


def qr_data_uri(uri: str) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (the CSP allows data: images; no outside service)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _matching_step(secret: str, code: str, now: float | None) -> int | None:
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = _current_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(device_id: int, code: str, now: float | None = None) -> bool:
    """True and the step used up when ``code`` is right and newer than any code accepted before."""
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().get(pk=device_id)
        step = _matching_step(_secret(device), code, now)
        if step is None or step <= device.last_used_step:
            return False
        device.last_used_step = step
        device.save(update_fields=["last_used_step"])
        return True


def confirm(device: TotpDevice, code: str, now: float | None = None) -> bool:
    """Finish enrolment with the first code from the app."""
    if not check_code(device.pk, code, now):
        return False
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    device.refresh_from_db()
    return True


def reset(user: Any) -> bool:
    """Remove the user's second factor (lost phone); True if there was one."""
    deleted, _ = TotpDevice.objects.filter(user=user).delete()
    return deleted > 0


def rotate_secrets() -> int:
    """Re-encrypt every TOTP secret with the newest key (as ``credentials rotate`` does for accounts)."""
    devices = list(TotpDevice.objects.all())
    for device in devices:
        decrypt_json(device.secret_encrypted)  # all readable before any is written
    with transaction.atomic():
        for device in devices:
            TotpDevice.objects.filter(pk=device.pk).update(secret_encrypted=rotate(device.secret_encrypted))
    return len(devices)


def code_for(device: TotpDevice, now: float | None = None) -> str:
    """The current code (tests and the emulator-driven browser test use it, like a phone would)."""
    return pyotp.TOTP(_secret(device), interval=STEP).generate_otp(_current_step(now))
