"""In a real Chromium at 1280 px: no column of the findings or exposure tables is cut off.

A table wider than its card scrolls inside it (overflow-x auto); one that fits shows every column.
Either way the last column can be brought into view; a card that clips (overflow hidden) fails.
"""

from __future__ import annotations

import os

import pytest
from django.test import Client

from posture.findings.models import Finding
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)

try:
    from playwright.sync_api import expect
except ImportError:  # skipped without Playwright, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG = "platform-shared-services-" * 4

MEASURE = """(box) => {
  const scroller = document.querySelector(box);
  const style = getComputedStyle(scroller);
  const headers = [...scroller.querySelectorAll('thead th')];
  scroller.scrollLeft = scroller.scrollWidth;  // bring the last column in, where the box scrolls
  const edge = scroller.getBoundingClientRect();
  const last = headers[headers.length - 1].getBoundingClientRect();
  return {
    headers: headers.map(th => th.textContent.trim()),
    scrollWidth: scroller.scrollWidth, clientWidth: scroller.clientWidth, overflowX: style.overflowX,
    lastLeft: last.left, lastRight: last.right, boxLeft: edge.left, boxRight: edge.right,
    viewport: window.innerWidth, pageWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.fixture
def long_named_estate(account, estate):
    """Failing findings on resources with long names and images, as real estates have."""
    doc = estate_doc(public=True, mfa=False)
    for i in range(6):
        doc["resources"].append(
            {
                "service": "storage",
                "region": "r2",
                "type": "testcloud.storage.bucket",
                "uid": f"arn:testcloud:storage:::{LONG}{i}",
                "name": f"{LONG}{i}",
                "config": {"public": True},
            }
        )
    estate.write(doc)
    run_scan(create_scan(account).pk)
    return account


def open_at(chromium, live_server, user, width: int):  # noqa: F811
    context = chromium.new_context(viewport={"width": width, "height": 900})
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    return context, context.new_page()


def assert_no_column_clipped(m: dict) -> None:
    assert m["scrollWidth"] <= m["clientWidth"] or m["overflowX"] in ("auto", "scroll"), m
    assert m["boxLeft"] - 1 <= m["lastLeft"] and m["lastRight"] <= m["boxRight"] + 1, m
    assert m["boxRight"] <= m["viewport"] and m["pageWidth"] <= m["viewport"], m


def test_findings_table_shows_or_scrolls_to_every_column_at_1280(
    long_named_estate,
    make_user,
    chromium,  # noqa: F811
    live_server,
):
    context, page = open_at(chromium, live_server, make_user("analyst"), 1280)
    try:
        page.goto(live_server.url + "/findings/?status=all&muted=any")
        expect(page.locator("#findings-table tbody tr[data-finding]")).to_have_count(Finding.objects.count())
        screenshot(page, "findings-1280")
        m = page.evaluate(MEASURE, "#findings-scroll")
        assert m["headers"][-2:] == ["Region", "Last seen"], m
        assert_no_column_clipped(m)
    finally:
        context.close()


def test_exposure_page_at_1280_and_390(long_named_estate, make_user, chromium, live_server):  # noqa: F811
    for width in (1280, 390):
        context, page = open_at(chromium, live_server, make_user("viewer", f"v{width}"), width)
        try:
            page.goto(live_server.url + "/exposure/")
            expect(page.locator("[data-kind=storage] tr[data-resource]")).to_have_count(7)
            screenshot(page, f"exposure-{width}")
            if width == 1280:
                assert_no_column_clipped(page.evaluate(MEASURE, "[data-kind=storage] .table-scroll"))
            page.goto(live_server.url + "/findings/")
            screenshot(page, f"findings-default-{width}")
        finally:
            context.close()
