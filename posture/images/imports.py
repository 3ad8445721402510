"""Importing a Trivy or Grype report: the one service function the command line and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from posture.images.models import ImageScanResult
from posture.images.reports import load, parse
from posture.images.store import StoreStats, store_scans


@dataclass(frozen=True)
class Imported:
    result: ImageScanResult
    stats: StoreStats


def import_report(raw: bytes | str, *, fmt: str = "auto", user: Any = None, source: str = "cli") -> Imported:
    """Parse, validate and store one report as an imported result; :class:`ReportError` changes nothing.

    The import is written to the audit log with the acting user (none from the command line).
    """
    from posture.access.audit import record

    scan = parse(load(raw), fmt)
    with transaction.atomic():
        stats = store_scans([scan], timezone.now(), user=user)
        result = ImageScanResult.objects.get(digest=scan["digest"], source=scan["scanner"])
        record(
            "images.import",
            result,
            user=user,
            source=source,
            detail={"digest": scan["digest"], "scanner": scan["scanner"], "vulnerabilities": result.total},
        )
    return Imported(result, stats)
