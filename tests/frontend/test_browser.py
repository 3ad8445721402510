"""End-to-end: a real Chromium against the live app (few tests, each a user's task)."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from posture.findings.models import Finding
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.conftest import PASSWORD
from tests.frontend.test_compliance_drift_clusters import seed_clusters

try:
    from playwright.sync_api import expect
except ImportError:  # skipped without Playwright, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_as(chromium, live_server):  # noqa: F811
    """A browser page signed in as a user (session cookie from the test client)."""
    contexts = []
    errors: list[str] = []

    def make(user: User | None):
        context = chromium.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        context.set_default_timeout(8000)
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            cookie = client.cookies["sessionid"]
            context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
        page.on(
            "console",
            lambda msg: msg.type == "error" and "403 (Forbidden)" not in msg.text and errors.append(msg.text),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors  # CSP violations and script errors show up here


def test_sign_in_and_overview_shows_rendered_charts(scanned_history, make_user, open_as, live_server):
    make_user("analyst", "ana")
    page = open_as(None)
    page.goto(live_server.url + "/")
    assert "/login/" in page.url
    screenshot(page, "login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", "wrong password!")
    page.click("button:has-text('Sign in')")
    page.wait_for_selector(".flash-error:has-text('do not match')")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('Overview')")
    trend = page.locator("#trend-chart svg")
    assert trend.count() == 1
    box = trend.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100
    assert page.locator("#trend-chart svg path.line").count() >= 1  # the score line is drawn
    assert page.locator("#severity-chart svg rect.rect").count() >= 1  # a severity bar
    screenshot(page, "overview")


def test_filter_findings_updates_table_in_place(scanned, make_user, open_as, live_server):
    page = open_as(make_user("viewer"))
    page.goto(live_server.url + "/findings/")
    rows = page.locator("#findings-table tbody tr[data-finding]")
    expect(rows).to_have_count(1)  # failing and unmuted first
    expect(rows.first).to_contain_text("b-public")
    expect(page.locator("#active-filters [data-chip]")).to_have_text(["Status: FAIL\u00d7", "Not muted\u00d7"])
    page.evaluate("() => { window.__marker = 1; }")  # survives only if the page is not reloaded
    page.uncheck("input[name=status][value=FAIL]")
    expect(rows).to_have_count(Finding.objects.count())
    assert "status=all" in page.url
    assert page.evaluate("() => window.__marker") == 1
    page.fill("#q", "alice")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("u-alice")
    screenshot(page, "findings")
    page.click("#active-filters [data-chip=q] a")  # removing one chip keeps the others
    expect(rows).to_have_count(Finding.objects.count())
    assert page.input_value("#q") == "" and "status=all" in page.url and "muted=false" in page.url


def test_mute_with_reason_moves_the_finding(scanned, make_user, open_as, live_server):
    page = open_as(make_user("analyst"))
    page.goto(live_server.url + "/findings/?status=FAIL&muted=false")
    row = page.locator("#findings-table tbody tr[data-finding]")
    assert row.count() == 1
    row.first.locator("input[name=ids]").check()
    page.click("#bulk button[value=mute]")  # no reason: refused with a message
    page.wait_for_selector(".flash-error:has-text('reason')")
    assert row.count() == 1
    row.first.locator("input[name=ids]").check()
    page.fill("#bulk input[name=reason]", "accepted risk: public website bucket")
    page.click("#bulk button[value=mute]")
    page.wait_for_selector(".flash-success:has-text('Muted 1 finding')")
    expect(page.locator("#findings-table .empty-row")).to_have_count(1)
    page.select_option("select[name=muted]", "true")
    page.wait_for_selector("#findings-table tr.is-muted")
    assert "b-public" in page.locator("#findings-table tr.is-muted").inner_text()
    finding = Finding.objects.get(resource_uid="b-public")
    assert finding.muted and finding.mute_rule.reason == "accepted risk: public website bucket"


def test_export_the_current_view_as_csv(scanned, make_user, open_as, live_server):
    page = open_as(make_user("viewer"))
    page.goto(live_server.url + "/findings/")
    page.uncheck("input[name=status][value=FAIL]")
    page.check("input[name=status][value=PASS]")
    expect(page.locator("#findings-table tbody tr[data-finding]")).to_have_count(3)
    with page.expect_download() as info:
        page.click("#export-links a[data-export=csv]")
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 3 and {r["status"] for r in rows} == {"PASS"}
    assert {r["resource_uid"] for r in rows} == {"b-private", "b-r2", "u-alice"}


def test_drill_from_framework_to_failing_resource(scanned, make_user, open_as, live_server):
    page = open_as(make_user("viewer"))
    page.goto(live_server.url + "/compliance/")
    page.click("#frameworks-table a:has-text('Test Benchmark')")
    page.wait_for_selector("h1:has-text('Test Benchmark')")
    assert page.locator("tr.ctl-fail").count() == 1
    screenshot(page, "compliance")
    page.click("tr.ctl-fail a")
    page.wait_for_selector("#failing-resources")
    page.click("#failing-resources a:has-text('b-public')")
    page.wait_for_selector("h1:has-text('Bucket is not public')")
    assert "the bucket is public" in page.inner_text("main")
    assert page.locator("table.evidence td.mono", has_text="public").count() >= 1
    screenshot(page, "finding-detail")


def test_add_account_with_a_bad_value_shows_the_field_error(db, make_user, open_as, live_server, estate):
    page = open_as(make_user("admin"))
    page.goto(live_server.url + "/accounts/new/")
    page.select_option("select[name=provider]", "testcloud")
    assert page.locator(".cred-set[data-provider=testcloud]").is_visible()
    assert not page.locator(".cred-set[data-provider=aws]").is_visible()
    page.fill("input[name=name]", "bad name!")
    page.fill("input[name='cred.testcloud.estate']", str(estate.path))
    page.click("button:has-text('Add account')")
    error = page.locator("[data-error-for=name]")
    assert "letters, digits" in error.inner_text()
    screenshot(page, "account-error")
    page.fill("input[name=name]", "good-name")
    page.fill("input[name=regions]", "r1, Not A Region")
    page.fill("input[name='cred.testcloud.estate']", str(estate.path))
    page.click("button:has-text('Add account')")
    assert "region" in page.locator("[data-error-for=regions]").inner_text()
    page.fill("input[name=regions]", "")
    page.fill("input[name='cred.testcloud.estate']", str(estate.path))
    page.click("button:has-text('Add account')")
    page.wait_for_selector(".flash-success:has-text('good-name added')")
    page.click("button:has-text('Test connection')")
    page.wait_for_selector(".flash-success:has-text('Connected')")


def test_viewer_sees_no_triage_and_the_server_refuses(scanned, make_user, open_as, live_server):
    page = open_as(make_user("viewer"))
    page.goto(live_server.url + "/findings/?status=FAIL")
    assert page.locator("#bulk button[value=mute]").count() == 0
    assert page.locator("input[name=ids]").count() == 0
    page.click("#findings-table a:has-text('Bucket is not public')")
    page.wait_for_selector("#triage")
    assert page.locator("#triage button").count() == 0
    assert "viewer" in page.inner_text("#triage")
    finding = Finding.objects.get(resource_uid="b-public")
    status = page.evaluate(
        """async (id) => {
            const token = document.cookie.match(/csrftoken=([^;]+)/)?.[1] || "";
            const body = new URLSearchParams({ids: String(id), action: "mute", reason: "sneaky"});
            const r = await fetch("/findings/bulk/", {method: "POST", body, headers: {"X-CSRFToken": token}});
            return r.status;
        }""",
        finding.pk,
    )
    assert status == 403
    finding.refresh_from_db()
    assert not finding.muted


def test_every_main_page_renders_for_an_admin(scanned, make_user, open_as, live_server):
    seed_clusters()
    page = open_as(make_user("admin"))
    for name, path in [
        ("clusters", "/clusters/"),
        ("drift", "/drift/"),
        ("scans", "/scans/"),
        ("accounts", "/accounts/"),
        ("settings", "/settings/"),
        ("report", "/compliance/test-benchmark-1.0/report/"),
    ]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert page.locator("h1").count() >= 1
        assert not re.search(r"Traceback|Server Error", page.content())
        screenshot(page, name)


def test_api_docs_render_the_operations_under_the_csp(db, make_user, open_as, live_server):
    page = open_as(make_user("viewer"))
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20  # every operation; CSP errors fail the fixture
