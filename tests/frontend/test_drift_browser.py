"""The drift page in a browser: the diff per field, filters, and an analyst marking the baseline (CSP-clean)."""

from __future__ import annotations

import pytest

from posture.scans.models import Scan
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.test_browser import open_as  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_reads_the_diff_filters_and_marks_the_baseline(scanned, make_user, open_as, live_server):  # noqa: F811
    page = open_as(make_user("analyst"))
    page.goto(f"{live_server.url}/drift/")
    change = page.locator(".drift-resource", has_text="b-private")
    assert "versioning" in change.inner_text() and "true" in change.locator("td.after").inner_text()
    page.select_option("select[name=kind]", "appeared")
    page.click("#drift-filters button")
    assert "No configuration changed." in page.locator("#changed").inner_text()
    page.click("text=Mark scan")
    page.wait_for_url("**against=baseline**")
    latest = Scan.objects.order_by("-id").first()
    latest.refresh_from_db()
    assert latest.baseline_at is not None
    assert "is the approved baseline" in page.content()
    screenshot(page, "drift-baseline")
