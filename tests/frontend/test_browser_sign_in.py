"""Chromium signs in through the local OpenID provider, and sets up and uses a TOTP second factor."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.contrib.auth.models import Group, User

from emulators.oidc.server import OidcEmulator
from posture.access import oidc
from tests.access.conftest import configure
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.conftest import PASSWORD

try:
    from playwright.sync_api import expect
except ImportError:  # skipped without Playwright, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(chromium, live_server) -> Iterator:  # noqa: F811
    """A fresh page; script errors and CSP violations on Posture's pages fail the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 860})
    context.set_default_timeout(8000)
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and page.url.startswith(live_server.url)
            and "403 (Forbidden)" not in msg.text  # the refusal page's own status
            and errors.append(msg.text)
        ),
    )
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture
def idp(settings, live_server) -> Iterator[OidcEmulator]:
    emulator = OidcEmulator(redirect_uris=[f"{live_server.url}/login/oidc/callback/"]).start()
    configure(settings, emulator)
    yield emulator
    emulator.stop()
    oidc.forget_cached()


def test_sign_in_with_the_provider_lands_on_the_dashboard(idp, browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/findings/")
    assert "/login/" in page.url
    screenshot(page, "sso-login")
    page.click("text=Sign in with Test IdP")
    page.wait_for_selector("text=Continue as ana")  # the provider's own page
    assert page.url.startswith(idp.url)
    page.click("text=Continue as ana")
    page.wait_for_selector("h1:has-text('Findings')")
    assert page.url == f"{live_server.url}/findings/"
    expect(page.locator(".whoami")).to_contain_text("ana")
    expect(page.locator(".whoami")).to_contain_text("admin")
    page.click("nav >> text=Overview")
    page.wait_for_selector("h1:has-text('Overview')")
    screenshot(page, "sso-overview")
    assert User.objects.get(username="ana").groups.filter(name="team:payments").exists()


def test_an_unmapped_user_sees_a_clear_refusal(idp, browser_page, live_server) -> None:
    page = browser_page
    page.goto(live_server.url + "/login/")
    page.click("text=Sign in with Test IdP")
    page.click("text=Continue as vic")
    expect(page.locator("#refusal")).to_contain_text("none of your groups")
    screenshot(page, "sso-refused")
    assert not User.objects.filter(username="vic").exists()


def test_set_up_totp_then_sign_in_with_a_code(browser_page, live_server) -> None:
    tia = User.objects.create_user("tia", password=PASSWORD)
    tia.groups.add(Group.objects.get_or_create(name="viewer")[0])  # without a role every page is refused
    page = browser_page
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", "tia")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Overview')")
    page.goto(live_server.url + "/settings/")
    page.click("text=Two-factor sign-in")
    qr = page.locator("#totp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100"), "the QR code drew (CSP allows data:)"
    screenshot(page, "totp-enrol")
    uri = page.locator("#otpauth-uri").text_content()
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    phone = pyotp.TOTP(secret)
    page.fill("input[name=code]", phone.at(time.time() - 30))  # a phone a little behind
    page.click("button:has-text('Turn on')")
    expect(page.locator("#totp")).to_contain_text("since")

    page.click("button:has-text('Sign out')")
    page.fill("input[name=username]", "tia")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("text=6-digit code")
    page.fill("input[name=code]", phone.now())
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('Overview')")
