"""Artifact Analysis' results for the demo's Artifact Registry images (:mod:`emulators.images`), in the REST shapes.

Per scanned image: a DISCOVERY occurrence (``analysisStatus`` FINISHED_SUCCESS, ``lastScanTime``; continuous
analysis INACTIVE for the image last scanned 45 days ago) and one VULNERABILITY occurrence per vulnerability
(``noteName`` ``projects/goog-vulnz/notes/CVE-...``, ``packageIssue`` with affected and fixed versions, a fixed
version of kind MAXIMUM where no fix exists). The repositories' ``dockerImages`` give tags and ``uploadTime``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from emulators.images import GCP_IMAGES, DemoImage, Vuln

CPE = "cpe:/o:debian:debian_linux:12"


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uri(image: DemoImage) -> str:
    return f"https://{image.registry}/{image.repository}@{image.digest}"


def _occurrence(project: str, image: DemoImage, key: str, kind: str, note: str, when: str) -> dict[str, Any]:
    return {
        "name": f"projects/{project}/occurrences/{uuid.uuid5(uuid.NAMESPACE_URL, image.digest + key)}",
        "resourceUri": _uri(image),
        "noteName": note,
        "kind": kind,
        "createTime": when,
        "updateTime": when,
    }


def _version(full: str) -> dict[str, Any]:
    if not full:
        return {"kind": "MAXIMUM"}
    name, _, revision = full.partition("-")
    return {"name": name, "revision": revision, "kind": "NORMAL", "fullName": full}


def vulnerability_occurrence(project: str, image: DemoImage, vuln: Vuln, now: datetime) -> dict[str, Any]:
    occurrence = _occurrence(
        project,
        image,
        vuln.cve,
        "VULNERABILITY",
        f"projects/goog-vulnz/notes/{vuln.cve}",
        _ts(image.scanned_at(now) or now),
    )
    occurrence["vulnerability"] = {
        "severity": vuln.severity,
        "cvssScore": vuln.score,
        "packageIssue": [
            {
                "affectedCpeUri": CPE,
                "affectedPackage": vuln.package,
                "affectedVersion": _version(vuln.installed),
                "fixedCpeUri": CPE,
                "fixedPackage": vuln.package,
                "fixedVersion": _version(vuln.fixed),
                "fixAvailable": bool(vuln.fixed),
                "packageType": "OS",
                "effectiveSeverity": vuln.severity,
            }
        ],
        "shortDescription": vuln.cve,
        "longDescription": f"{vuln.title}.",
        "relatedUrls": [{"url": f"https://security-tracker.debian.org/tracker/{vuln.cve}", "label": "More Info"}],
        "effectiveSeverity": vuln.severity,
        "fixAvailable": bool(vuln.fixed),
        "cvssVersion": "CVSS_VERSION_3",
    }
    return occurrence


def discovery_occurrence(
    project: str, image: DemoImage, now: datetime, status: str = "FINISHED_SUCCESS"
) -> dict[str, Any]:
    scanned = image.scanned_at(now) or now
    occurrence = _occurrence(
        project, image, "discovery", "DISCOVERY", "projects/goog-analysis/notes/PACKAGE_VULNERABILITY", _ts(scanned)
    )
    occurrence["discovery"] = {
        "continuousAnalysis": "INACTIVE" if (now - scanned).days > 30 else "ACTIVE",
        "analysisStatus": status,
        "analysisCompleted": {"analysisType": ["OS"]},
        "cpe": CPE,
        "lastScanTime": _ts(scanned),
    }
    return occurrence


def docker_image(image: DemoImage, now: datetime) -> dict[str, Any]:
    location = image.host.removesuffix("-docker.pkg.dev")
    project, repository, name = image.path.split("/", 2)
    return {
        "name": f"projects/{project}/locations/{location}/repositories/{repository}/dockerImages/{name}@{image.digest}",
        "uri": f"{image.registry}/{image.repository}@{image.digest}",
        "tags": [image.tag],
        "imageSizeBytes": "31457280",
        "uploadTime": _ts(image.pushed_at(now)),
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "buildTime": _ts(image.pushed_at(now)),
        "updateTime": _ts(image.pushed_at(now)),
    }


def image_results(
    project: str, now: datetime | None = None, images: list[DemoImage] = GCP_IMAGES
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """``(occurrences, dockerImages by repository name)`` of the catalogue's images in ``project``."""
    now = now or datetime.now(UTC)
    occurrences: list[dict[str, Any]] = []
    repositories: dict[str, list[dict[str, Any]]] = {}
    for image in images:
        if image.scanned_days_ago is not None:
            occurrences.append(discovery_occurrence(project, image, now))
            occurrences += [vulnerability_occurrence(project, image, v, now) for v in image.vulns]
        listed = docker_image(image, now)
        repositories.setdefault(listed["name"].split("/dockerImages/")[0], []).append(listed)
    return occurrences, repositories
