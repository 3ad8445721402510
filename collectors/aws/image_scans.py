"""What the cloud's scanners found in ECR images: one ``aws.ecr_scans.image_scan`` record per image digest.

The registry's scanning configuration says who scans (``scanType``): BASIC is ECR's own scanning, read per
image with DescribeImageScanFindings; ENHANCED is Amazon Inspector, read once per region with ListFindings
(ECR container image findings, active ones) and joined to the images by digest, with each image's scan status
and time from DescribeImages. Every listing is paged. An image counts as scanned clean only when its scanner
says it scanned it (``COMPLETE``, or ``ACTIVE`` for continuous scanning); otherwise its status says why not.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from collectors.aws import ecr_reads
from collectors.aws.common import detail_map, error_code, jsonable, paginate
from collectors.aws.provider import AwsSession
from collectors.image_scans import ImageScan, Vulnerability, image_scan, image_scan_record, iso_time, vulnerability
from collectors.records import ResourceRecord
from collectors.registry import REGISTRY

SERVICE = "ecr_scans"
STATUS = {
    "COMPLETE": "complete",
    "ACTIVE": "complete",  # enhanced scanning: continuously scanned
    "IN_PROGRESS": "pending",
    "PENDING": "pending",
    "UNSUPPORTED_IMAGE": "unsupported",
    "SCAN_ELIGIBILITY_EXPIRED": "unsupported",
    "IMAGE_ARCHIVED": "unsupported",
}  # FAILED, FINDINGS_UNAVAILABLE, LIMIT_EXCEEDED and anything new: failed
NO_FIX = {"", "NotAvailable", "None"}
ECR_IMAGE_FINDINGS = {
    "resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}],
    "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
}


def status_of(word: Any) -> str:
    return STATUS.get(str(word or ""), "failed")


def registry_host(registry_id: str, region: str) -> str:
    return f"{registry_id}.dkr.ecr.{region}.amazonaws.com"


def basic_vulnerability(finding: dict[str, Any]) -> Vulnerability:
    """One ECR basic finding: ``name`` is the CVE, the package is in ``attributes``; no fixed version is given."""
    attributes = {a.get("key"): a.get("value") for a in finding.get("attributes") or [] if isinstance(a, dict)}
    return vulnerability(
        finding.get("name", ""),
        finding.get("severity"),
        package=attributes.get("package_name") or "",
        installed_version=attributes.get("package_version") or "",
        title=finding.get("description", ""),
        url=finding.get("uri", ""),
    )


def inspector_vulnerabilities(finding: dict[str, Any]) -> list[Vulnerability]:
    """One Inspector package finding: a vulnerability per vulnerable package, with its fixed version."""
    details = finding.get("packageVulnerabilityDetails") or {}
    severity = finding.get("severity")
    if severity == "UNTRIAGED":
        severity = details.get("vendorSeverity")
    out = []
    for package in details.get("vulnerablePackages") or [{}]:
        installed = "-".join(str(package[k]) for k in ("version", "release") if package.get(k))
        fixed = str(package.get("fixedInVersion") or "")
        out.append(
            vulnerability(
                details.get("vulnerabilityId", ""),
                severity,
                package=package.get("name", ""),
                installed_version=installed,
                fixed_version="" if fixed in NO_FIX else fixed,
                title=finding.get("title", ""),
                url=details.get("sourceUrl", ""),
            )
        )
    return out


def scan_of(image: dict[str, Any], region: str, scanner: str, status: str, **fields: Any) -> ImageScan:
    return image_scan(
        digest=image["imageDigest"],
        registry=registry_host(image["registryId"], region),
        repository=image["repositoryName"],
        tags=image.get("imageTags") or [],
        scanner=scanner,
        status=status,
        pushed_at=iso_time(image.get("imagePushedAt")),
        **fields,
    )


def basic_record(ecr: Any, image: dict[str, Any], region: str) -> ResourceRecord:
    """DescribeImageScanFindings for one image, every page; no scan at all is ``unsupported``."""
    ids = {"repositoryName": image["repositoryName"], "registryId": image["registryId"]}
    try:
        pages = list(
            ecr.get_paginator("describe_image_scan_findings").paginate(
                **ids, imageId={"imageDigest": image["imageDigest"]}
            )
        )
    except Exception as exc:
        if error_code(exc) != "ScanNotFoundException":
            raise
        scan = scan_of(image, region, "ecr-basic", "unsupported", scanned_at=None)
        return image_scan_record("aws", SERVICE, scan, region, {"imageScanStatus": None})
    first = pages[0]
    found = [f for page in pages for f in (page.get("imageScanFindings") or {}).get("findings") or []]
    state = first.get("imageScanStatus") or {}
    status = status_of(state.get("status"))
    scan = scan_of(
        image,
        region,
        "ecr-basic",
        status,
        scanned_at=iso_time((first.get("imageScanFindings") or {}).get("imageScanCompletedAt")),
        vulnerabilities=[basic_vulnerability(f) for f in found] if status == "complete" else [],
    )
    extra = {"imageScanStatus": state, "findingSeverityCounts": image_counts(first)}
    return image_scan_record("aws", SERVICE, scan, region, jsonable(extra))


def image_counts(response: dict[str, Any]) -> dict[str, int]:
    return dict((response.get("imageScanFindings") or {}).get("findingSeverityCounts") or {})


def inspector_findings(inspector: Any, registry_id: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Active Inspector findings on this registry's images, by (repository, digest)."""
    criteria = {**ECR_IMAGE_FINDINGS, "ecrImageRegistry": [{"comparison": "EQUALS", "value": registry_id}]}
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for finding in paginate(inspector, "list_findings", "findings", filterCriteria=criteria):
        for resource in finding.get("resources") or []:
            details = (resource.get("details") or {}).get("awsEcrContainerImage") or {}
            if details.get("imageHash"):
                found.setdefault((details.get("repositoryName", ""), details["imageHash"]), []).append(finding)
    return found


def enhanced_record(image: dict[str, Any], findings: list[dict[str, Any]], region: str) -> ResourceRecord:
    """Inspector's findings for one image; status and scan time as DescribeImages reports them."""
    state = image.get("imageScanStatus") or {}
    summary = image.get("imageScanFindingsSummary") or {}
    scanned_at = iso_time(summary.get("imageScanCompletedAt"))
    if state.get("status"):
        status = status_of(state["status"])
    elif findings:  # no status reported, but Inspector did scan it
        status = "complete"
        scanned_at = max((iso_time(f.get("lastObservedAt")) or "" for f in findings), default="") or None
    else:
        status = "unsupported"
    vulns = [v for f in findings for v in inspector_vulnerabilities(f)] if status == "complete" else []
    scan = scan_of(image, region, "inspector", status, scanned_at=scanned_at, vulnerabilities=vulns)
    extra = {"imageScanStatus": state or None, "findingSeverityCounts": summary.get("findingSeverityCounts") or {}}
    return image_scan_record("aws", SERVICE, scan, region, jsonable(extra))


def images_of(session: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every image with a digest, with its repository's name and registry (the ``ecr`` collector's reads)."""

    def of(repo: dict[str, Any]) -> list[dict[str, Any]]:
        ids = {"repositoryName": repo["repositoryName"], "registryId": repo["registryId"]}
        return [{**ids, **i} for i in ecr_reads.images(session, region, repo) if i.get("imageDigest")]

    return [image for found in detail_map(of, ecr_reads.repositories(session, region)) for image in found]


@REGISTRY.collector(
    "aws",
    SERVICE,
    permissions=(
        "ecr:GetRegistryScanningConfiguration",
        "ecr:DescribeRepositories",
        "ecr:DescribeImages",
        "ecr:DescribeImageScanFindings",
        "inspector2:ListFindings",
    ),
)
def collect_image_scans(session: AwsSession, region: str) -> Iterator[ResourceRecord]:
    ecr = session.client("ecr", region)
    scanning = ecr_reads.scanning_configuration(session, region)
    scan_type = (scanning.get("scanningConfiguration") or {}).get("scanType", "BASIC")
    images = images_of(session, region)
    if not images:
        return
    if scan_type != "ENHANCED":
        yield from detail_map(lambda image: basic_record(ecr, image, region), images)
        return
    registry_id = scanning.get("registryId") or session.account_id()
    findings = inspector_findings(session.client("inspector2", region), registry_id)
    for image in images:
        yield enhanced_record(image, findings.get((image["repositoryName"], image["imageDigest"]), []), region)
