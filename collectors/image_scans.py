"""The one shape every image vulnerability scan result takes, whoever scanned the image.

A cloud's scanner (ECR basic scanning, Amazon Inspector, Defender for Containers, Artifact Analysis) and an
imported Trivy or Grype report all end as the same plain dict: per image digest, its vulnerabilities with
severity, package and fixed version where known, and when it was scanned. Collectors yield it as a
:class:`~collectors.records.ResourceRecord` of type ``<provider>.<service>.image_scan`` with the dict under
``config[IMAGE_SCAN_KEY]`` (beside whatever of the API's own answer the collector keeps); importers build
the dict directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypedDict

from collectors.records import ResourceRecord

IMAGE_SCAN_KEY = "_ImageScan"
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
STATUSES = ("complete", "failed", "unsupported", "pending")
_ALIASES = {"MODERATE": "MEDIUM", "IMPORTANT": "HIGH", "NEGLIGIBLE": "LOW", "INFORMATIONAL": "LOW", "MINIMAL": "LOW"}


class Vulnerability(TypedDict):
    id: str  # CVE-2024-1234, GHSA-..., ALAS-...
    severity: str  # one of SEVERITIES
    package: str
    installed_version: str
    fixed_version: str  # "" when no fix is known
    title: str
    url: str


class ImageScan(TypedDict):
    digest: str  # sha256:... of the image manifest
    registry: str  # 123456789012.dkr.ecr.eu-west-1.amazonaws.com, myacr.azurecr.io, europe-docker.pkg.dev
    repository: str  # path within the registry
    tags: list[str]
    scanner: str  # ecr-basic, inspector, defender, artifact-analysis, trivy, grype
    status: str  # one of STATUSES; only "complete" results say anything about vulnerabilities
    scanned_at: str | None  # ISO 8601, UTC
    pushed_at: str | None  # ISO 8601, UTC: when the image was pushed or built, where known
    vulnerabilities: list[Vulnerability]


def normalize_severity(raw: object) -> str:
    """A scanner's severity word as one of :data:`SEVERITIES` (``Moderate`` is ``MEDIUM``, junk is ``UNKNOWN``)."""
    word = str(raw or "").strip().upper()
    word = _ALIASES.get(word, word)
    return word if word in SEVERITIES else "UNKNOWN"


def iso_time(raw: object) -> str | None:
    """A scanner's timestamp (a datetime, or ISO 8601 text with ``Z`` and up to 9 fractional digits) as ISO 8601
    UTC (``2024-05-01T10:00:00+00:00``); anything unreadable is no time."""
    if isinstance(raw, str) and raw:
        head, dot, tail = raw.strip().partition(".")
        if dot:  # more fractional digits than Python reads: keep microseconds
            digits = len(tail) - len(tail.lstrip("0123456789"))
            raw = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
        try:
            raw = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(raw, dt.datetime):
        return None
    moment = raw if raw.tzinfo else raw.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat()


def vulnerability(
    vuln_id: str,
    severity: object,
    package: str = "",
    installed_version: str = "",
    fixed_version: str | None = "",
    title: str = "",
    url: str = "",
) -> Vulnerability:
    return Vulnerability(
        id=str(vuln_id),
        severity=normalize_severity(severity),
        package=str(package or ""),
        installed_version=str(installed_version or ""),
        fixed_version=str(fixed_version or ""),
        title=str(title or "")[:300],
        url=str(url or ""),
    )


def image_scan(
    *,
    digest: str,
    registry: str,
    repository: str,
    scanner: str,
    scanned_at: str | None,
    pushed_at: str | None = None,
    tags: Iterable[str] = (),
    status: str = "complete",
    vulnerabilities: Iterable[Vulnerability] = (),
) -> ImageScan:
    if status not in STATUSES:
        raise ValueError(f"image scan status {status!r} is not one of {', '.join(STATUSES)}")
    unique = {(v["id"], v["package"], v["installed_version"]): v for v in vulnerabilities}
    return ImageScan(
        digest=digest,
        registry=registry,
        repository=repository,
        tags=sorted(set(tags)),
        scanner=scanner,
        status=status,
        scanned_at=scanned_at,
        pushed_at=pushed_at,
        vulnerabilities=[unique[k] for k in sorted(unique)],
    )


def image_scan_record(
    provider: str, service: str, scan: ImageScan, region: str, extra: dict[str, Any] | None = None
) -> ResourceRecord:
    """The record a collector yields for one scanned image: uid ``registry/repository@digest``."""
    uid = f"{scan['registry']}/{scan['repository']}@{scan['digest']}"
    config = dict(extra or {})
    config[IMAGE_SCAN_KEY] = scan
    return ResourceRecord(provider, service, f"{provider}.{service}.image_scan", uid, uid, region=region, config=config)


def counts(scan: ImageScan) -> dict[str, dict[str, int]]:
    """``{"CRITICAL": {"total": n, "fixable": m}, ...}`` for every severity."""
    out = {s: {"total": 0, "fixable": 0} for s in SEVERITIES}
    for v in scan["vulnerabilities"]:
        out[v["severity"]]["total"] += 1
        out[v["severity"]]["fixable"] += bool(v["fixed_version"])
    return out
