"""Image scan results into the scan: stored before the rules run's verdicts are, read by the rules on workloads.

Rules see one scan's records and nothing else (pure functions, no Django), yet a cluster's workloads run
images that another account's registry scanned, or that someone imported a Trivy report for. So, before
evaluation, :func:`attach_image_scans` gives each workload record that runs a known digest a compact
``_imageScans`` map (digest -> :func:`posture.images.running.summary`, or None: never scanned), looked up by
digest among the stored results and this scan's own ``*.image_scan`` records (these win: they are newer).
``_imageScans`` is volatile for drift (``collectors/volatile.py``): a rescan of an image is not a change to
the workload. After the resources, :func:`store_image_scans` upserts this scan's own results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from collectors.kubernetes.objects import WORKLOAD_TYPE
from collectors.records import ResourceRecord
from posture.images.models import ImageScanResult
from posture.images.running import IMAGE_SCANS_KEY, freshest, results_by_digest, running_digests, summary
from posture.images.store import StoreStats, row, scans_in, store_scan_records


def attach_image_scans(account: Any, records: Sequence[ResourceRecord], now: datetime) -> list[ResourceRecord]:
    """The records, each workload running a digest given its ``_imageScans``; one query."""
    running = {r.uid: running_digests(r.config) for r in records if r.type == WORKLOAD_TYPE}
    wanted = {d for digests in running.values() for d in digests}
    if not wanted:
        return list(records)
    known: dict[str, dict[str, ImageScanResult]] = {}
    for digest, results in results_by_digest(wanted).items():
        known[digest] = {r.source: r for r in results}
    for scan in scans_in(records):
        if scan["digest"] in wanted:
            known.setdefault(scan["digest"], {})[scan["scanner"]] = row(scan, now, account=account)
    enriched = []
    for record in records:
        digests = running.get(record.uid) if record.type == WORKLOAD_TYPE else None
        if digests:
            scans = {d: freshest(known.get(d, {}).values()) for d in sorted(digests)}
            config = {**record.config, IMAGE_SCANS_KEY: {d: summary(r) if r else None for d, r in scans.items()}}
            record = dataclasses.replace(record, config=config)
        enriched.append(record)
    return enriched


def store_image_scans(account: Any, records: Sequence[ResourceRecord], now: datetime) -> StoreStats:
    return store_scan_records(account, records, now)
