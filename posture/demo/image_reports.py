"""The demo's imported image scan reports (``reports/``): a Trivy and a Grype report of images its cluster runs.

Imported as a person would (``manage.py images import``), dated a day before the demo runs so that the
scan-age rule sees them fresh whenever the demo is started.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone

from posture.images.imports import import_report

REPORTS = Path(__file__).parent / "reports"


def dated(data: dict, at: datetime) -> dict:
    """The report as if run at ``at`` (Trivy ``CreatedAt``, Grype ``descriptor.timestamp``)."""
    stamp = at.isoformat()
    if "CreatedAt" in data:
        data["CreatedAt"] = stamp
    if isinstance(data.get("descriptor"), dict):
        data["descriptor"]["timestamp"] = stamp
    return data


def import_demo_reports(say: Callable[[str], None] = print, now: datetime | None = None) -> int:
    """Import every report under ``reports/``; returns how many were imported."""
    at = (now or timezone.now()) - timedelta(days=1)
    count = 0
    for path in sorted(REPORTS.glob("*.json")):
        done = import_report(json.dumps(dated(json.loads(path.read_text()), at)), source="cli")
        r = done.result
        say(f"  imported {path.name}: {r.repository} ({r.critical} critical, {r.critical_fixable} with a fix)")
        count += 1
    return count
