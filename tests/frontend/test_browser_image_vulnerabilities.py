"""End-to-end in Chromium: which running containers carry a critical vulnerability with a fix, and who runs them."""

from __future__ import annotations

import hashlib
import os

import pytest

from posture.images.store import store_scans
from posture.inventory.models import Resource
from tests.frontend.browser import chromium, screenshot  # noqa: F401  (fixture)
from tests.frontend.test_browser import open_as  # noqa: F401  (fixture)
from tests.images.conftest import ecr_scan
from tests.support.workloads import stored_workload

try:
    from playwright.sync_api import expect
except ImportError:  # skipped without Playwright, unless CI says browsers must be there
    if os.environ.get("POSTURE_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip("playwright is not installed (pip install playwright)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def running(resource: Resource, image: str, name: str) -> Resource:
    """The workload with one running pod of ``image``, as the collector records it; returns its digest's owner."""
    digest = "sha256:" + hashlib.sha256(image.encode()).hexdigest()
    container = {"name": "web", "image": image, "imageID": f"{image.rsplit(':', 1)[0]}@{digest}", "restartCount": 0}
    pod = {"name": f"{name}-1", "phase": "Running", "startTime": "2026-11-01T00:00:00Z", "containers": [container]}
    resource.config = {**resource.config, "_pods": [pod]}
    resource.save(update_fields=["config"])
    return resource


def test_filter_to_critical_with_a_fix_and_follow_to_the_workload(account, make_user, open_as, live_server):  # noqa: F811
    from django.utils import timezone

    web = running(stored_workload(account), f"registry.example.com/{account.name}/web:1", "web")
    quiet = Resource.objects.create(
        **{f: getattr(web, f) for f in ("account", "provider", "service", "region", "type", "first_seen", "last_seen")},
        uid="shop/Deployment/quiet",
        name="quiet",
        config_hash="y",
        config={
            "kind": "Deployment",
            "metadata": {"name": "quiet", "namespace": "shop"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "registry.example.com/quiet:2"}]}}},
        },
    )
    running(quiet, "registry.example.com/quiet:2", "quiet")
    digest = web.config["_pods"][0]["containers"][0]["imageID"].rsplit("@", 1)[1]
    store_scans([ecr_scan(digest=digest, scanned_at=timezone.now().isoformat())], timezone.now(), account=account)

    page = open_as(make_user("viewer"))
    page.goto(live_server.url + "/images/")
    rows = page.locator("#images-table tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Critical with a fix").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#images-count")).to_contain_text("critical with a fix")
    expect(rows.first).to_contain_text("1 crit · 1 fix")
    expect(rows.first).to_contain_text("inspector")
    screenshot(page, "images-critical-fixable-1280")
    page.get_by_role("link", name=f"shop/{web.name}").click()
    expect(page.locator("h1")).to_have_text(f"Deployment shop/{web.name}")
    table = page.locator("#workload-vulns")
    expect(table).to_contain_text("1 crit · 1 fix")
    table.get_by_role("link").first.click()
    expect(page.locator(".vuln-table")).to_contain_text("CVE-2024-5535")
    expect(page.locator(".vuln-table")).to_contain_text("3.0.14")
    expect(page.locator("#image-workloads")).to_contain_text(f"shop/Deployment/{web.name}")
