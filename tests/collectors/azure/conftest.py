"""The ARM emulator on a free loopback port, serving the demo subscription; fast retries for fault tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from collectors.azure import PROVIDER
from collectors.azure import session as azure_session
from collectors.azure.session import AzureSession
from collectors.records import Target
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate

TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.c2lnbmF0dXJl"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real RetryPolicy, with short back-offs; and no inherited Azure environment."""
    monkeypatch.setattr(
        azure_session, "RETRY_SETTINGS", {"retry_total": 2, "retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}
    )
    for name in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator() -> Iterator[ArmEmulator]:
    with ArmEmulator(demo_estate(), token=TOKEN) as running:
        yield running


def target(emulator: ArmEmulator, **credentials: Any) -> Target:
    creds = {"access_token": TOKEN, "subscription_id": SUB, **credentials}
    return Target("azure", "demo", endpoint_url=emulator.url, credentials={k: v for k, v in creds.items() if v})


@pytest.fixture
def session(emulator: ArmEmulator) -> AzureSession:
    return PROVIDER.connect(target(emulator))


@pytest.fixture
def per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bulk inventory off: the collectors list through each service's own API (what a test of those calls wants)."""
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "off")
