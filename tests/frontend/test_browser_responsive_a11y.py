"""Every main page at a phone's width and a laptop's: no sideways scrolling, a working menu, and no serious
or critical accessibility violation found by axe-core (shipped inside the axe-playwright-python wheel)."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import User
from django.test import Client

from posture.findings.models import Finding
from posture.scans.models import Scan
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.test_compliance_drift_clusters import seed_clusters

try:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect
except ImportError:  # skipped without them, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright / axe-playwright-python are not installed", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
BLOCKING = ("serious", "critical")


def main_pages(account) -> dict[str, str]:
    """The pages a user reaches from the menu, and one of each detail page, with data on them."""
    finding = Finding.objects.filter(status="FAIL").first()
    scan = Scan.objects.filter(account=account).latest("pk")
    return {
        "overview": "/",
        "findings": "/findings/",
        "finding-detail": f"/findings/{finding.pk}/",
        "compliance": "/compliance/",
        "framework": "/compliance/test-benchmark-1.0/",
        "control": "/compliance/test-benchmark-1.0/controls/1.1/",
        "report": "/compliance/test-benchmark-1.0/report/",
        "clusters": "/clusters/",
        "drift": "/drift/",
        "scans": "/scans/",
        "scan-detail": f"/scans/{scan.pk}/",
        "accounts": "/accounts/",
        "account-new": "/accounts/new/",
        "account-edit": f"/accounts/{account.pk}/",
        "settings": "/settings/",
    }


@pytest.fixture
def admin_page(chromium, live_server, make_user):  # noqa: F811
    """A signed-in admin's page; JavaScript errors (CSP included) fail the test."""
    errors: list[str] = []
    client = Client()
    client.force_login(make_user("admin"))
    context = chromium.new_context(viewport=LAPTOP)
    context.set_default_timeout(8000)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    yield page
    context.close()
    assert not errors, errors


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each with where they are."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:5]]}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


def overflow(page) -> int:
    """How many pixels the document is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")


def clipped_tables(page) -> list[str]:
    """Tables wider than their card where the card neither fits nor scrolls them: columns would be cut off."""
    return page.evaluate(
        """() => [...document.querySelectorAll('table.table')].filter((t) => {
            const card = t.closest('.card');
            if (!card || t.closest('.visually-hidden')) return false;
            const scrolls = ['auto', 'scroll'].includes(getComputedStyle(card).overflowX);
            return t.getBoundingClientRect().width > card.clientWidth + 1 && !scrolls;
        }).map((t) => t.id || t.className)"""
    )


def wide_hidden_boxes(page) -> int:
    """Visually-hidden boxes wider than 1 px: they widen the page although nobody sees them."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.visually-hidden')]
            .filter((e) => e.getBoundingClientRect().width > 1).length"""
    )


def test_every_main_page_passes_axe_at_both_widths(scanned, admin_page, live_server):
    seed_clusters()
    problems = {}
    for viewport in (LAPTOP, PHONE):
        admin_page.set_viewport_size(viewport)
        for path in main_pages(scanned).values():
            response = admin_page.goto(live_server.url + path)
            assert response.status == 200, path
            found = blocking_violations(admin_page)
            if found:
                problems[f"{path} at {viewport['width']} px"] = found
    assert not problems, "\n".join(f"{where}: {line}" for where, lines in problems.items() for line in lines)


def test_at_a_phone_width_no_page_scrolls_sideways_and_no_table_is_cut(scanned, admin_page, live_server):
    seed_clusters()
    for viewport in (PHONE, LAPTOP):
        admin_page.set_viewport_size(viewport)
        for name, path in main_pages(scanned).items():
            admin_page.goto(live_server.url + path)
            assert overflow(admin_page) <= 0, (path, viewport["width"], overflow(admin_page))
            assert clipped_tables(admin_page) == [], (path, viewport["width"])
            assert wide_hidden_boxes(admin_page) == 0, path
            if name in ("overview", "findings", "framework", "settings"):
                screenshot(admin_page, f"{name}-{viewport['width']}")


def test_the_menu_opens_and_closes_at_a_phone_width(scanned, admin_page, live_server):
    admin_page.set_viewport_size(PHONE)
    admin_page.goto(live_server.url + "/findings/")
    toggle = admin_page.locator("[data-nav-toggle]")
    settings_link = admin_page.locator(".sidebar nav a", has_text="Settings")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(settings_link).to_be_hidden()
    toggle.click()
    expect(settings_link).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.click()
    expect(settings_link).to_be_hidden()
    toggle.focus()
    admin_page.keyboard.press("Enter")
    expect(settings_link).to_be_visible()
    admin_page.keyboard.press("Escape")  # closes, and the focus goes back to the button
    expect(settings_link).to_be_hidden()
    expect(toggle).to_be_focused()
    toggle.click()
    settings_link.click()
    admin_page.wait_for_url("**/settings/")
    expect(admin_page.locator("h1", has_text="Settings")).to_be_visible()
    expect(admin_page.locator(".sidebar nav a", has_text="Findings")).to_be_hidden()  # a new page starts closed


def test_at_a_laptop_width_the_menu_is_always_there(scanned, admin_page, live_server):
    admin_page.goto(live_server.url + "/")
    expect(admin_page.locator("[data-nav-toggle]")).to_be_hidden()
    expect(admin_page.locator(".sidebar nav a", has_text="Settings")).to_be_visible()


def test_the_menu_works_without_javascript(scanned, chromium, live_server, make_user):  # noqa: F811
    user: User = make_user("viewer")
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto(live_server.url + "/scans/")
        drift = page.locator(".sidebar nav a", has_text="Drift")
        expect(drift).to_be_hidden()
        page.click("text=Menu")  # a link to #sidebar: the menu opens by :target
        expect(drift).to_be_visible()
        page.click(".menu-close")
        expect(drift).to_be_hidden()
    finally:
        context.close()


def test_the_skip_link_moves_to_the_main_content(scanned, admin_page, live_server):
    admin_page.goto(live_server.url + "/findings/")
    admin_page.keyboard.press("Tab")
    skip = admin_page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    admin_page.keyboard.press("Enter")
    expect(admin_page.locator("main#main")).to_be_focused()
