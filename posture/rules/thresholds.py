"""The rules' numeric settings (ages in days), read from the environment on each call, so a changed value takes
effect without a restart; :func:`check_thresholds` reads them all once at start-up, so a bad value stops it."""

from __future__ import annotations

from posture.env import env_int


def stale_image_days() -> int:
    """How long an ECR repository may go without a push before its images count as stale."""
    return env_int("POSTURE_ECR_STALE_IMAGE_DAYS", 180, minimum=1)


def storage_key_max_age_days() -> int:
    """How many days an Azure storage account key may go without being regenerated."""
    return env_int("POSTURE_AZURE_STORAGE_KEY_MAX_AGE_DAYS", 90, minimum=1)


def api_key_max_age_days() -> int:
    """How old a Google Cloud API key may grow before it counts as not rotated."""
    return env_int("POSTURE_GCP_API_KEY_MAX_AGE_DAYS", 90, minimum=1)


def check_thresholds() -> None:
    stale_image_days()
    storage_key_max_age_days()
    api_key_max_age_days()
