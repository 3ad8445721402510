"""Playwright (sync API) driving Debian's Chromium against pytest-django's live_server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")


_shared: dict = {"users": 0}


@pytest.fixture(scope="session")
def chromium() -> Iterator:
    """One Chromium for the run, however many test modules import this fixture.

    Each importing module gets its own session fixture, and Playwright's sync API allows one instance
    per thread (a second start fails inside the first one's event loop): they share it, counted.
    """
    require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    if not _shared["users"]:
        # Playwright's sync API keeps an event loop on this thread; the tests' own ORM calls are synchronous.
        _shared["had"] = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        _shared["playwright"] = sync_api.sync_playwright().start()
        _shared["browser"] = _shared["playwright"].chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared["browser"].close()
            _shared["playwright"].stop()
            if _shared["had"] is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = _shared["had"]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
