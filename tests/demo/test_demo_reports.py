"""The demo imports a Trivy and a Grype report of images its cluster runs, dated a day before it starts."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from posture.demo.image_reports import import_demo_reports
from posture.images.models import ImageScanResult

pytestmark = pytest.mark.django_db


def test_the_demo_reports_import_fresh_and_idempotently() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    lines: list[str] = []
    assert import_demo_reports(say=lines.append, now=now) == 2
    assert import_demo_reports(say=lines.append, now=now) == 2
    rows = {r.repository: r for r in ImageScanResult.objects.all()}
    assert set(rows) == {"acme/billing-worker", "acme/report-renderer"}
    billing, renderer = rows["acme/billing-worker"], rows["acme/report-renderer"]
    assert billing.digest == "sha256:" + hashlib.sha256(b"billing-worker:2.1.0").hexdigest()
    assert renderer.digest == "sha256:" + hashlib.sha256(b"report-renderer:0.9.3").hexdigest()
    assert (billing.source, billing.registry, billing.critical_fixable > 0) == ("trivy", "ghcr.io", True)
    assert (renderer.source, renderer.registry, renderer.high_fixable > 0) == ("grype", "quay.io", True)
    assert billing.scanned_at == datetime(2026, 12, 2, 12, 0, tzinfo=UTC) and billing.imported
    assert billing.pushed_at.year == 2024  # built long ago: the image age rule has something to say
    assert any("billing-worker" in line for line in lines)
