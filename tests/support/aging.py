"""Time passing for the sweeps: every scan's and unit's recorded times moved back, as if it all happened earlier."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F

from posture.scans.models import Scan, ScanUnit


def age(hours: float) -> None:
    """All that happened so far happened ``hours`` earlier: every scan's and every unit's times moved back."""
    back = timedelta(hours=hours)
    Scan.objects.update(
        **{f: F(f) - back for f in ("created_at", "started_at", "heartbeat_at", "storing_at", "finished_at")}
    )
    ScanUnit.objects.update(**{f: F(f) - back for f in ("started_at", "heartbeat_at", "finished_at")})
