"""Defender for Containers' vulnerability assessment of the demo's ACR images (:mod:`emulators.images`).

Each vulnerability of an image is one security sub-assessment in Microsoft Defender Vulnerability
Management's shape (``assessedResourceType: AzureContainerRegistryVulnerability``, as in the "Container
vulnerability assessments REST API" page), under the registry's assessment ``c0b7cfc6-...``. An image found
clean is given one ``Healthy`` sub-assessment carrying its ``artifactDetails`` and no vulnerability (the
emulator's stand-in for Defender's healthy result; the collector reads any Healthy one as "scanned").
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from emulators.azure.estate import SUBSCRIPTION, rg_id
from emulators.images import AZURE_IMAGES, DemoImage, Vuln

REGISTRY_ASSESSMENT = "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"  # ACR images should have vulnerabilities resolved


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def sub_assessment(
    image: DemoImage, vuln: Vuln | None, now: datetime, sub: str = SUBSCRIPTION, rg: str = "platform"
) -> dict[str, Any]:
    """One sub-assessment of ``image``: ``vuln`` found (Unhealthy), or None for the image found clean."""
    registry = image.host.split(".", 1)[0]
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{image.digest}/{vuln.cve if vuln else 'healthy'}"))
    scanned = image.scanned_at(now) or now
    data: dict[str, Any] = {
        "assessedResourceType": "AzureContainerRegistryVulnerability",
        "artifactDetails": {
            "lastPushedToRegistryUTC": _when(image.pushed_at(now)),
            "repositoryName": image.repository,
            "registryHost": image.host,
            "artifactType": "ContainerImage",
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": image.digest,
            "tags": [image.tag],
        },
    }
    if vuln is not None:
        data["vulnerabilityDetails"] = {
            "severity": vuln.severity.title(),
            "cveId": vuln.cve,
            "publishedDate": "2023-09-12T15:15:00Z",
            "lastModifiedDate": "2024-01-10T00:00:00Z",
            "workarounds": [],
            "references": [{"title": vuln.cve, "link": f"https://nvd.nist.gov/vuln/detail/{vuln.cve}"}],
            "cvss": {"2.0": None, "3.0": {"cvssVectorString": "CVSS:3.0/AV:N/AC:L/PR:N/UI:R", "base": vuln.score}},
        }
        data["softwareDetails"] = {
            "category": "OS",
            "fixedVersion": vuln.fixed,
            "version": vuln.installed,
            "vendor": "debian",
            "packageName": vuln.package,
            "osDetails": {"osPlatform": "linux", "osVersion": "debian_12"},
            "fixStatus": "FixAvailable" if vuln.fixed else "NoFixAvailable",
            "evidence": [],
        }
        data["cvssV30Score"] = vuln.score
        status = {"code": "Unhealthy", "severity": vuln.severity.title(), "cause": "", "description": ""}
    else:
        status = {"code": "Healthy", "severity": "Low", "description": "No vulnerabilities were found in the image"}
    registry_id = f"{rg_id(sub, rg)}/providers/Microsoft.ContainerRegistry/registries/{registry}"
    return {
        "id": f"{registry_id}/providers/Microsoft.Security/assessments/{REGISTRY_ASSESSMENT}/subassessments/{name}",
        "name": name,
        "type": "Microsoft.Security/assessments/subAssessments",
        "properties": {
            "id": vuln.cve if vuln else "NoVulnerabilitiesFound",
            "displayName": vuln.cve if vuln else "No vulnerabilities found",
            "description": f"{vuln.title}." if vuln else "",
            "remediation": f"Upgrade {vuln.package} to {vuln.fixed}."
            if vuln and vuln.fixed
            else "No remediation exists",
            "resourceDetails": {
                "id": f"/repositories/{image.repository}/images/{image.digest}",
                "source": "Azure",
            },
            "timeGenerated": _when(scanned),
            "status": status,
            "additionalData": data,
        },
    }


def image_sub_assessments(now: datetime | None = None, images: list[DemoImage] = AZURE_IMAGES) -> list[dict[str, Any]]:
    """Every sub-assessment of the catalogue's ACR images that Defender scanned."""
    now = now or datetime.now(UTC)
    out = []
    for image in images:
        if image.scanned_days_ago is None:
            continue
        out += [sub_assessment(image, v, now) for v in image.vulns] or [sub_assessment(image, None, now)]
    return out
