"""What Defender for Containers found in container images: one ``azure.defender_scans.image_scan`` per digest.

Defender publishes its vulnerability assessment of registry images (and of the images running in AKS) as
security sub-assessments, one per image and vulnerability; they are listed at subscription scope (SubAssessments
ListAll, api-version 2019-01-01-preview, paged by ``nextLink``) and grouped here by image digest. Both shapes
are read: Microsoft Defender Vulnerability Management's (``assessedResourceType``
``AzureContainerRegistryVulnerability`` / ``AzureContainerVulnerability``: ``artifactDetails``,
``vulnerabilityDetails``, ``softwareDetails``) and the older ``ContainerRegistryVulnerability`` (``imageDigest``,
``repositoryName``, ``cve``, ``patchable``). An ``Unhealthy`` sub-assessment is a vulnerability; ``Healthy`` or
``NotApplicable`` (exempted) ones say the image was scanned without adding one. Images Defender has not
assessed have no sub-assessment, hence no record.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from collectors.azure.common import per_subscription, scrub
from collectors.azure.session import AzureSession, Subscription
from collectors.image_scans import Vulnerability, image_scan, image_scan_record, iso_time, vulnerability
from collectors.records import GLOBAL_REGION, ResourceRecord
from collectors.registry import REGISTRY

SERVICE = "defender_scans"
MDVM_TYPES = frozenset({"AzureContainerRegistryVulnerability", "AzureContainerVulnerability"})
LEGACY_TYPE = "ContainerRegistryVulnerability"
NO_FIX_STATUSES = frozenset({"NoFixAvailable", "WontFix", "Unknown"})
# The SDK's model predates the MDVM shape: it warns once per sub-assessment it cannot type.
logging.getLogger("azure.mgmt.security._serialization").setLevel(logging.ERROR)


def list_sub_assessments(client: Any, scope: str) -> list[dict[str, Any]]:
    """Every sub-assessment under ``scope`` as the API returned it, through the SDK's pager.

    The SDK's model predates the MDVM shape and drops its ``assessedResourceType``, so the items are read from
    each page's own answer (azure-core's ``raw_response_hook``: one call per page, retried attempts included,
    hence only successful answers are kept).
    """
    pages: list[Any] = []

    def keep(response: Any) -> None:
        if response.http_response.status_code == 200:
            body = json.loads(response.http_response.text())
            pages.append(body.get("value") if isinstance(body, dict) else None)

    for _ in client.sub_assessments.list_all(scope, raw_response_hook=keep):
        pass
    return [scrub(item) for page in pages if isinstance(page, list) for item in page if isinstance(item, dict)]


def image_of(item: dict[str, Any]) -> dict[str, Any] | None:
    """``{digest, registry, repository, tags, pushed_at}`` of the image a sub-assessment is about, or None."""
    props = item.get("properties") or {}
    data = props.get("additionalData") or {}
    kind = data.get("assessedResourceType")
    if kind in MDVM_TYPES:
        artifact = data.get("artifactDetails") or {}
        registry, repository, digest = (
            artifact.get("registryHost"),
            artifact.get("repositoryName"),
            artifact.get("digest"),
        )
        tags, pushed = artifact.get("tags") or [], artifact.get("lastPushedToRegistryUTC")
    elif kind == LEGACY_TYPE:
        registry, repository, digest = (
            registry_of(item.get("id", "")),
            data.get("repositoryName"),
            data.get("imageDigest"),
        )
        tags, pushed = [], None
    else:
        return None
    if not (registry and repository and digest):
        return None
    return {"digest": digest, "registry": registry, "repository": repository, "tags": tags, "pushed_at": pushed}


def registry_of(resource_id: str) -> str:
    """``name.azurecr.io`` for a sub-assessment under ``.../registries/NAME/providers/...``."""
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    if "registries" not in lowered or lowered.index("registries") + 1 >= len(parts):
        return ""
    return f"{parts[lowered.index('registries') + 1].lower()}.azurecr.io"


def vulnerability_of(item: dict[str, Any]) -> Vulnerability | None:
    props = item.get("properties") or {}
    if (props.get("status") or {}).get("code") != "Unhealthy":
        return None
    data = props.get("additionalData") or {}
    severity = (props.get("status") or {}).get("severity")
    if data.get("assessedResourceType") == LEGACY_TYPE:
        cves = [str(c["title"]) for c in data.get("cve") or [] if isinstance(c, dict) and c.get("title")]
        return vulnerability(cves[0] if cves else props.get("id", ""), severity, title=props.get("displayName", ""))
    details, software = data.get("vulnerabilityDetails") or {}, data.get("softwareDetails") or {}
    references = [str(r["link"]) for r in details.get("references") or [] if isinstance(r, dict) and r.get("link")]
    fixed = "" if software.get("fixStatus") in NO_FIX_STATUSES else software.get("fixedVersion")
    return vulnerability(
        details.get("cveId") or props.get("id", ""),
        details.get("severity") or severity,
        package=software.get("packageName", ""),
        installed_version=software.get("version", ""),
        fixed_version=fixed,
        title=props.get("displayName", ""),
        url=references[0] if references else "",
    )


def image_records(items: list[dict[str, Any]]) -> Iterator[ResourceRecord]:
    grouped: dict[str, dict[str, Any]] = {}
    for item in items:
        image = image_of(item)
        if image is None:
            continue
        key = f"{image['registry']}/{image['repository']}@{image['digest']}"
        entry = grouped.setdefault(key, {**image, "items": [], "tags": set()})
        entry["items"].append(item)
        entry["tags"].update(image["tags"])
        entry["pushed_at"] = entry["pushed_at"] or image["pushed_at"]
    for entry in grouped.values():
        times = [iso_time((i.get("properties") or {}).get("timeGenerated")) or "" for i in entry["items"]]
        vulns = [v for v in map(vulnerability_of, entry["items"]) if v is not None]
        scan = image_scan(
            digest=entry["digest"],
            registry=entry["registry"],
            repository=entry["repository"],
            tags=entry["tags"],
            scanner="defender",
            scanned_at=max(times) or None,
            pushed_at=iso_time(entry["pushed_at"]),
            vulnerabilities=vulns,
        )
        keys = sorted({assessment_key(i.get("id", "")) for i in entry["items"]} - {""})
        yield image_scan_record("azure", SERVICE, scan, GLOBAL_REGION, {"assessments": keys})


def assessment_key(sub_assessment_id: str) -> str:
    parts = sub_assessment_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("assessments") + 1] if "assessments" in lowered[:-1] else ""


def _scans(session: AzureSession, sub: Subscription) -> Iterator[ResourceRecord]:
    client = session.client("security", sub.subscription_id)
    yield from image_records(list_sub_assessments(client, f"subscriptions/{sub.subscription_id}"))


@REGISTRY.collector(
    "azure", SERVICE, regional=False, permissions=("Microsoft.Security/assessments/subAssessments/read",)
)
def collect_image_scans(session: AzureSession, region: str) -> Iterator[ResourceRecord]:
    yield from per_subscription(session, lambda sub: _scans(session, sub))
