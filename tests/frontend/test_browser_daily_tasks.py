"""The analyst's daily paths, walked in Chromium at a phone's width and at a laptop's (issue #19's done-when):
the most urgent failing findings and why one fails; every internet-exposed resource from one page; mute with a
reason and an expiry and find it again; a webhook added and tested from Settings. (Starting a scan, the images
page and the API docs have their own browser tests; axe runs in test_browser_responsive_a11y.py.)"""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

from posture.findings.models import Finding
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.test_browser import open_as  # noqa: F401  (fixture)
from tests.integrations.helpers import SECRET
from tests.integrations.receiver import WebhookReceiver

try:
    from playwright.sync_api import expect
except ImportError:  # skipped without Playwright, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = (390, 1280)


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


def at(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})


@pytest.mark.parametrize("width", WIDTHS)
def test_the_most_urgent_failing_findings_and_why_one_fails(width, scanned, make_user, open_as, live_server):  # noqa: F811
    page = open_as(make_user("viewer"))
    at(page, width)
    page.goto(live_server.url + "/findings/")
    rows = page.locator("table tbody tr")
    expect(rows.first).to_contain_text("high")  # the most severe first; failing only by default
    assert "PASS" not in page.locator("table tbody").inner_text()
    rows.first.locator("a").first.click()
    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_text("Evidence")).to_be_visible()
    expect(page.locator("main")).to_contain_text("public")  # the field path and the value observed there
    screenshot(page, f"task-urgent-finding-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_internet_exposed_resource_from_one_page(width, scanned, make_user, open_as, live_server):  # noqa: F811
    page = open_as(make_user("viewer"))
    at(page, width)
    page.goto(live_server.url + "/")
    if width < 760:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("link", name="Exposure").first.click()
    expect(page.locator("main")).to_contain_text("b-public")
    assert "b-private" not in page.locator("main").inner_text()
    screenshot(page, f"task-exposure-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_mute_with_a_reason_and_an_expiry_and_find_it_again(width, scanned, make_user, open_as, live_server):  # noqa: F811
    finding = Finding.objects.get(resource_uid="b-public")
    page = open_as(make_user("analyst"))
    at(page, width)
    page.goto(f"{live_server.url}/findings/{finding.pk}/")
    page.get_by_label("Reason").fill("accepted: public website assets")
    page.get_by_label("Until (optional)").fill((date.today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Mute this finding").click()
    expect(page.locator(".flash-item").first).to_contain_text("Muted")
    page.goto(live_server.url + "/findings/")
    assert "b-public" not in page.locator("main").inner_text()  # muted findings leave the default list
    page.goto(live_server.url + "/findings/?status=all&muted=any&q=b-public")
    expect(page.locator("main")).to_contain_text("muted")
    page.locator("table tbody tr").first.locator("a").first.click()
    expect(page.locator("main")).to_contain_text("accepted: public website assets")
    screenshot(page, f"task-muted-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_webhook_added_and_tested_from_settings(width, make_user, open_as, live_server, receiver, settings):  # noqa: F811
    settings.ALLOWED_NETWORKS = ["127.0.0.0/8"]
    page = open_as(make_user("admin"))
    at(page, width)
    page.goto(live_server.url + "/settings/#integrations")
    page.get_by_role("link", name="Add webhook").click()
    form = page.locator("#integration-form")
    form.locator("input[name=name]").fill("siem")
    form.locator("input[name=url]").fill(receiver.url)
    form.locator("input[name=secret]").fill(SECRET)
    form.locator("input[name=events][value='finding.new_failure']").check()
    form.get_by_role("button", name="Add webhook").click()
    page.get_by_role("button", name="Send a test delivery").click()
    expect(page.locator(".flash-item").first).to_contain_text("Test passed")
    assert receiver.received and receiver.received[-1].headers["Posture-Event"] == "test"
    assert SECRET not in page.content()
    screenshot(page, f"task-webhook-{width}")
