"""Write image scan results: one row per (digest, scanner), upserted in bulk, the newest scan kept.

Used by the scan pipeline (a cloud scan's ``*.image_scan`` records) and by imports (a Trivy or Grype
report, see :mod:`posture.images.reports` and :mod:`posture.images.imports`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from collectors.image_scans import IMAGE_SCAN_KEY, SEVERITIES, ImageScan, Vulnerability, counts, vulnerability
from collectors.records import ResourceRecord
from posture.images.models import ImageScanResult, Source

log = logging.getLogger(__name__)
SCAN_TYPE_SUFFIX = ".image_scan"
COUNT_FIELDS = [f"{s.lower()}{suffix}" for s in SEVERITIES for suffix in ("", "_fixable")]
WRITTEN_FIELDS = [
    "registry",
    "repository",
    "tags",
    "status",
    "scanned_at",
    "pushed_at",
    *COUNT_FIELDS,
    "vulnerabilities",
    "account",
    "imported_by",
    "imported_at",
    "updated_at",
]


@dataclass
class StoreStats:
    new: int = 0
    updated: int = 0
    older: int = 0  # a result older than the one stored: kept out


def scans_in(records: Iterable[ResourceRecord]) -> list[ImageScan]:
    """The normalized results a scan's ``*.image_scan`` records carry (junk skipped)."""
    found = []
    for record in records:
        scan = record.config.get(IMAGE_SCAN_KEY) if record.type.endswith(SCAN_TYPE_SUFFIX) else None
        if isinstance(scan, dict) and scan.get("digest") and scan.get("scanner") in Source.values:
            found.append(scan)
        elif scan is not None:
            log.warning("image scan record %s skipped: no digest or an unknown scanner", record.uid[:200])
    return found


def when(value: Any) -> datetime | None:
    """An ISO 8601 time (naive: UTC); None when absent or unreadable."""
    try:
        parsed = parse_datetime(str(value)[:64]) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clean(v: dict[str, Any]) -> Vulnerability:
    """One vulnerability as stored: through :func:`collectors.image_scans.vulnerability` again (a record is
    data from a cloud API: a severity it does not know is UNKNOWN), with a link only if it is http(s)."""
    url = str(v.get("url") or "")
    return vulnerability(
        str(v.get("id") or "")[:100],
        v.get("severity"),
        str(v.get("package") or "")[:200],
        str(v.get("installed_version") or "")[:200],
        str(v.get("fixed_version") or "")[:200],
        str(v.get("title") or ""),
        url[:500] if url.startswith(("https://", "http://")) else "",
    )


def row(scan: ImageScan, now: datetime, account: Any = None, user: Any = None) -> ImageScanResult:
    found = [clean(v) for v in scan.get("vulnerabilities") or [] if isinstance(v, dict) and v.get("id")]
    scan = ImageScan(**{**scan, "vulnerabilities": found})
    tally = counts(scan)
    numbers = {f"{s.lower()}": tally[s]["total"] for s in SEVERITIES}
    numbers |= {f"{s.lower()}_fixable": tally[s]["fixable"] for s in SEVERITIES}
    return ImageScanResult(
        digest=scan["digest"][:100],
        source=scan["scanner"],
        registry=scan["registry"][:255],
        repository=scan["repository"][:500],
        tags=list(scan["tags"])[:50],
        status=scan["status"],
        scanned_at=when(scan["scanned_at"]),
        pushed_at=when(scan["pushed_at"]),
        vulnerabilities=list(scan["vulnerabilities"]),
        account=account,
        imported_by=user if getattr(user, "is_authenticated", False) else None,
        imported_at=now if account is None else None,
        updated_at=now,
        **numbers,
    )


def store_scans(scans: Iterable[ImageScan], now: datetime, *, account: Any = None, user: Any = None) -> StoreStats:
    """Upsert the results (``account`` None: an import by ``user``); three queries whatever their number.

    The last of several results for one (digest, scanner) wins; a result older than the stored one
    (``scanned_at``) is left out, so re-importing an old report never hides a newer scan.
    """
    rows = {(r.digest, r.source): r for r in (row(s, now, account, user) for s in scans)}
    stats = StoreStats()
    if not rows:
        return stats
    stored = {
        (d, s): (pk, at)
        for pk, d, s, at in ImageScanResult.objects.filter(digest__in={d for d, _ in rows}).values_list(
            "id", "digest", "source", "scanned_at"
        )
    }
    new, changed = [], []
    for key, item in rows.items():
        known = stored.get(key)
        if known is None:
            new.append(item)
        elif known[1] and item.scanned_at and item.scanned_at < known[1]:
            stats.older += 1
        else:
            item.pk = known[0]
            changed.append(item)
    ImageScanResult.objects.bulk_create(new, batch_size=500)
    ImageScanResult.objects.bulk_update(changed, WRITTEN_FIELDS, batch_size=500)
    stats.new, stats.updated = len(new), len(changed)
    return stats


def store_scan_records(account: Any, records: Iterable[ResourceRecord], now: datetime) -> StoreStats:
    """The persist step's hook: a cloud scan's image scan results, under its account."""
    return store_scans(scans_in(records), now, account=account)
