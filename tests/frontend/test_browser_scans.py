"""End-to-end: start a scan from the page and watch its row to the end; the images and workload pages."""

from __future__ import annotations

import os
import re

import pytest

from posture.scans.models import Scan
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.test_browser import open_as  # noqa: F401  (fixture)
from tests.frontend.test_scan_progress import slow_estate
from tests.support.workloads import stored_workload

try:
    from playwright.sync_api import expect
except ImportError:  # skipped without Playwright, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_start_a_scan_and_watch_its_progress_to_the_end(account, estate, make_user, open_as, live_server, settings):  # noqa: F811
    settings.SCAN_IN_BACKGROUND = True
    slow_estate(estate, seconds=3)
    page = open_as(make_user("analyst"))
    page.goto(live_server.url + "/scans/")
    page.select_option("select[name=account]", label="test-account")
    page.get_by_role("button", name="Start scan").click()
    expect(page.locator(".flash-item").first).to_contain_text(re.compile(r"Scan \d+ of test-account (queued|running)"))
    scan = Scan.objects.get()
    row = page.locator(f"#scan-{scan.pk}")
    expect(row.locator("progress")).to_be_visible()
    expect(row.locator("[data-phase]")).to_contain_text(re.compile("waiting|connecting|collecting|evaluating"))
    page.set_viewport_size({"width": 1280, "height": 800})
    screenshot(page, "scan-running-1280")
    expect(row.locator(".state")).to_have_text("succeeded", timeout=30000)  # polled in place, no reload
    expect(row.locator("progress")).to_have_count(0)
    expect(row).to_contain_text("3 units")
    screenshot(page, "scan-finished-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "scan-finished-390")


def test_images_and_a_workload_page(account, make_user, open_as, live_server):  # noqa: F811
    web = stored_workload(account)
    page = open_as(make_user("viewer"))
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(live_server.url + "/images/")
        page.fill("input[name=q]", "example.com/test-account")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#images-table tbody tr")).to_have_count(1)
        screenshot(page, f"images-{width}")
        page.get_by_role("link", name=f"shop/{web.name}").click()
        expect(page.locator("h1")).to_have_text(f"Deployment shop/{web.name}")
        screenshot(page, f"workload-{width}")
