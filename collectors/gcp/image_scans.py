"""What Artifact Analysis found in container images: one ``gcp.artifact_analysis.image_scan`` per image digest.

Plain REST (the Container Analysis client is gRPC-only): a project's VULNERABILITY occurrences and its
DISCOVERY occurrences (the scan's status and ``lastScanTime``), each listed with ``filter=kind="..."`` and
paged by ``nextPageToken``, grouped by ``resourceUri``. An image counts as scanned clean only when its discovery
says the analysis finished. For Artifact Registry images, the repository's ``dockerImages`` listing gives the
tags and ``uploadTime``; when it cannot be read, the record says so under ``_errors`` and keeps the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.gcp.common import ERRORS_KEY, PROJECT_KEY, error_text, per_project
from collectors.gcp.session import GcpSession
from collectors.image_scans import Vulnerability, image_scan, image_scan_record, iso_time, vulnerability
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.registry import REGISTRY

SERVICE = "artifact_analysis"
STATUS = {
    "FINISHED_SUCCESS": "complete",
    "COMPLETE": "complete",
    "PENDING": "pending",
    "SCANNING": "pending",
    "FINISHED_UNSUPPORTED": "unsupported",
}  # FINISHED_FAILED, ANALYSIS_STATUS_UNSPECIFIED and anything new: failed


def split_uri(resource_uri: str) -> tuple[str, str, str] | None:
    """``https://europe-docker.pkg.dev/p/repo/img@sha256:...`` -> (host, path, digest); None without a digest."""
    name, _, digest = resource_uri.removeprefix("https://").partition("@")
    host, _, path = name.partition("/")
    if not digest.startswith("sha256:") or not host or not path:
        return None
    return host, path, digest


def occurrences(session: GcpSession, project: str, kind: str) -> Iterator[dict[str, Any]]:
    yield from session.pages(
        "containeranalysis", f"v1/projects/{project}/occurrences", "occurrences", {"filter": f'kind="{kind}"'}
    )


def vulnerabilities_of(occurrence: dict[str, Any]) -> list[Vulnerability]:
    """One vulnerability per package issue; the CVE is the note's own id."""
    details = occurrence.get("vulnerability") or {}
    cve = str(occurrence.get("noteName", "")).rsplit("/", 1)[-1]
    urls = [str(u["url"]) for u in details.get("relatedUrls") or [] if isinstance(u, dict) and u.get("url")]
    out = []
    for issue in details.get("packageIssue") or [{}]:
        fixed = issue.get("fixedVersion") or {}
        has_fix = issue.get("fixAvailable", details.get("fixAvailable")) and fixed.get("kind") != "MAXIMUM"
        out.append(
            vulnerability(
                cve,
                issue.get("effectiveSeverity") or details.get("effectiveSeverity") or details.get("severity"),
                package=issue.get("affectedPackage") or issue.get("packageType", ""),
                installed_version=(issue.get("affectedVersion") or {}).get("fullName", ""),
                fixed_version=fixed.get("fullName") if has_fix else "",
                title=details.get("shortDescription", ""),
                url=urls[0] if urls else "",
            )
        )
    return out


def docker_images(session: GcpSession, host: str, path: str) -> dict[str, dict[str, Any]]:
    """An Artifact Registry repository's images by digest (``host`` ``LOCATION-docker.pkg.dev``)."""
    project, repository = path.split("/")[:2]
    location = host.removesuffix("-docker.pkg.dev")
    listing = f"v1/projects/{project}/locations/{location}/repositories/{repository}/dockerImages"
    found = {}
    for image in session.pages("artifactregistry", listing, "dockerImages"):
        digest = str(image.get("uri", "")).rpartition("@")[2]
        found[digest] = image
    return found


def _registry_details(session: GcpSession, host: str, path: str, cache: dict[str, Any]) -> dict[str, Any]:
    """The Artifact Registry image for (host, path), or ``{"_error": text}``; one listing per repository."""
    if len(path.split("/")) < 3 or not host.endswith("-docker.pkg.dev"):
        return {}
    key = host + "/" + "/".join(path.split("/")[:2])
    if key not in cache:
        try:
            cache[key] = docker_images(session, host, path)
        except Exception as exc:  # one unreadable repository must not lose the scan results
            cache[key] = {"_error": error_text(exc)}
    return cache[key]


def _records(session: GcpSession, project: str) -> Iterator[ResourceRecord]:
    images: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kind in ("DISCOVERY", "VULNERABILITY"):
        for occurrence in occurrences(session, project, kind):
            parts = split_uri(str(occurrence.get("resourceUri", "")))
            if parts is not None:
                images.setdefault(parts, {"DISCOVERY": [], "VULNERABILITY": []})[kind].append(occurrence)
    repositories: dict[str, Any] = {}
    for (host, path, digest), found in images.items():
        listing = _registry_details(session, host, path, repositories)
        yield image_record(project, host, path, digest, found, listing)


def image_record(
    project: str, host: str, path: str, digest: str, found: dict[str, list[dict[str, Any]]], listing: dict[str, Any]
) -> ResourceRecord:
    discovery = (found["DISCOVERY"][-1].get("discovery") or {}) if found["DISCOVERY"] else {}
    vulns = found["VULNERABILITY"]
    if discovery:
        status = STATUS.get(str(discovery.get("analysisStatus")), "failed")
        scanned_at = iso_time(discovery.get("lastScanTime"))
    else:  # findings without a discovery note: it was scanned, when the findings last changed
        status = "complete"
        scanned_at = max((iso_time(v.get("updateTime")) or "" for v in vulns), default="") or None
    registry_image = listing.get(digest) or {}
    scan = image_scan(
        digest=digest,
        registry=host,
        repository=path,
        tags=registry_image.get("tags") or [],
        scanner="artifact-analysis",
        status=status,
        scanned_at=scanned_at,
        pushed_at=iso_time(registry_image.get("uploadTime")),
        vulnerabilities=[x for v in vulns for x in vulnerabilities_of(v)] if status == "complete" else [],
    )
    extra: dict[str, Any] = {"discovery": discovery or None, PROJECT_KEY: project}
    if "_error" in listing:
        extra[ERRORS_KEY] = {"dockerImages": listing["_error"]}
    return image_scan_record("gcp", SERVICE, scan, GLOBAL_REGION, extra)


@REGISTRY.collector(
    "gcp",
    SERVICE,
    regional=False,
    permissions=("containeranalysis.occurrences.list", "artifactregistry.dockerimages.list"),
)
def collect_image_scans(session: GcpSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_project(session, _records)
