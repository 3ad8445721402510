"""The demo's managed clusters on the clusters page: GKE legacy-web and EKS prod (production) scanned inside via
their cloud accounts, the others' 'Scan inside' buttons ending in a clear failed scan while the emulators run."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import pytest

from posture.demo.clouds import start_clouds
from posture.demo.replay import register, replay
from posture.inventory.models import CloudAccount
from posture.scans.models import Scan

pytestmark = pytest.mark.django_db
BUTTON = re.compile(
    r'<input type="hidden" name="via" value="(?P<via>\d+)">'
    r'<input type="hidden" name="cluster" value="(?P<cluster>[^"]+)">'
    r'.*?<input name="name" value="(?P<name>[^"]+)"',
    re.S,
)


@pytest.fixture
def demo_running(settings, monkeypatch) -> Iterator[None]:
    """The demo's emulators up and one scan day replayed, as `manage.py demo` leaves them while it serves."""
    settings.ALLOWED_NETWORKS = sorted(set(settings.ALLOWED_NETWORKS) | {"127.0.0.0/8", "::1/128"})
    monkeypatch.setenv("POSTURE_AWS_MAX_ATTEMPTS", "2")
    started = start_clouds()
    try:
        clouds = [(cloud, [register(spec) for spec in specs]) for cloud, specs in started]
        replay(clouds, scan_days=(0,), say=lambda line: None)
        yield
    finally:
        for cloud, _ in started:
            cloud.stop()


def test_the_via_cluster_shows_workloads_and_every_other_scan_inside_click_fails_clearly(
    demo_running, admin_client, django_capture_on_commit_callbacks
) -> None:
    inside = CloudAccount.objects.get(name="legacy-web-gke")
    assert inside.via.name == "gcp-acme" and inside.labels == {"platform": "gke", "demo": "true"}
    page = admin_client.get("/clusters/").content.decode()
    assert "legacy-web-gke" in page and "gke-payments-workloads" in page  # both ways in are shown
    buttons = [{k: html.unescape(v) for k, v in m.groupdict().items()} for m in BUTTON.finditer(page)]
    clusters = {b["cluster"] for b in buttons}
    assert not any("legacy-web" in c or "clusters/payments" in c for c in clusters), "scanned inside already"
    # production's EKS prod is scanned inside already (prod-eks, for the exposure paths): staging's is left
    assert CloudAccount.objects.get(name="prod-eks").via.name == "aws-production"
    assert sum(":eks:" in c for c in clusters) == 1 and ":210987654321:" in str(clusters), clusters
    assert sum("/managedClusters/" in c for c in clusters) == 2, clusters
    names = [b["name"] for b in buttons]
    assert len(set(names)) == len(names), names

    for button in buttons:
        before = Scan.objects.count()
        t0 = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):  # the eager queue runs the scan, as in the demo
            response = admin_client.post("/clusters/scan-inside/", button, follow=True)
        took = time.monotonic() - t0
        assert response.status_code == 200, button
        assert f"Added {button['name']} (inside " in response.content.decode()
        account = CloudAccount.objects.get(name=button["name"])
        scan = account.scans.get()
        assert Scan.objects.count() == before + 1
        assert scan.state == "failed", (button, scan.state, scan.message)
        kinds = {e["kind"] for e in scan.errors}
        reason = scan.message if not scan.errors else " | ".join(e["error"] for e in scan.errors)
        clear = re.search(r"\b(unreachable|denied)\b", scan.message) or (kinds and kinds <= {"unreachable", "denied"})
        assert clear, reason
        detail = admin_client.get(f"/scans/{scan.pk}/")
        assert detail.status_code == 200 and re.search(r"unreachable|denied", detail.content.decode())
        assert f"{scan.units_failed} failed" in detail.content.decode() and scan.units_failed >= 1
        assert took < 45, f"{button['cluster']}: the click took {took:.0f} s"
