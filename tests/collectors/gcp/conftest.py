"""The Google Cloud emulator on loopback, one per test (it is cheap), with the demo estate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import collectors.gcp  # noqa: F401  (registers the provider and collectors)
from collectors.gcp import PROVIDER
from collectors.gcp.session import GcpSession
from collectors.records import Target
from emulators.gcp import GcpEmulator, demo_estate

TOKEN = "ya29.test-token"


@pytest.fixture
def emulator() -> Iterator[GcpEmulator]:
    with GcpEmulator(demo_estate(), token=TOKEN) as running:
        assert running.url.startswith("http://127.0.0.1:")
        yield running


def target(emulator: GcpEmulator, **credentials: str) -> Target:
    creds = {"access_token": TOKEN, **credentials}
    if not {"projects", "folder", "organization"} & set(creds):
        creds["projects"] = "acme-prod"
    return Target("gcp", "test", endpoint_url=emulator.url, credentials=creds)


def session_for(emulator: GcpEmulator, **credentials: str) -> GcpSession:
    session = PROVIDER.connect(target(emulator, **credentials))
    assert session.endpoint_url == emulator.url  # never the real Google endpoints in tests
    session.retry_delay = 0.01
    return session


@pytest.fixture
def per_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bulk inventory off: the collectors list through each service's own API (what a test of those calls wants)."""
    monkeypatch.setenv("POSTURE_BULK_INVENTORY", "off")
