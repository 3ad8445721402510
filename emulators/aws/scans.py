"""Image scan results on moto, answered the way ECR and Amazon Inspector answer them.

moto keeps scan results but answers them in one piece: DescribeImageScanFindings never pages, DescribeImages
reports no scan status, and Inspector's ListFindings hands out queued answers by exact request, without
paging or filters. :func:`install` mends these three answers on moto's own backends (moto runs in this
process: the demo's threaded server and the tests' ``mock_aws`` alike):

- DescribeImageScanFindings pages ``findings`` and ``enhancedFindings`` by ``maxResults`` / ``nextToken``;
- DescribeImages gives each scanned image its ``imageScanStatus`` and ``imageScanFindingsSummary``;
- ListFindings serves every finding put with :func:`put_inspector_findings`, filtered by the string
  criteria below (``EQUALS`` / ``NOT_EQUALS`` / ``PREFIX``) and paged.

:func:`put_ecr_scan` and :func:`put_inspector_findings` load results through moto's own result hooks
(the ones behind ``/moto-api/static/ecr/scan-finding-results`` and ``.../inspector2/findings-results``).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

DEFAULT_PAGE = {"ecr": 100, "inspector2": 50}  # the services' own default page sizes
_page_override: dict[str, int] = {}
# ListFindings criteria served, and where each one reads the finding
CRITERIA = {
    "resourceType": lambda f: [r.get("type") for r in f.get("resources", [])],
    "findingStatus": lambda f: [f.get("status")],
    "severity": lambda f: [f.get("severity")],
    "ecrImageRegistry": lambda f: [_ecr(r).get("registry") for r in f.get("resources", [])],
    "ecrImageRepositoryName": lambda f: [_ecr(r).get("repositoryName") for r in f.get("resources", [])],
    "ecrImageHash": lambda f: [_ecr(r).get("imageHash") for r in f.get("resources", [])],
}


def _ecr(resource: dict[str, Any]) -> dict[str, Any]:
    return (resource.get("details") or {}).get("awsEcrContainerImage") or {}


def set_page_size(page_size: int | None) -> None:
    """Pages of ``page_size`` items where the caller asks for no size (tests); None: the services' defaults."""
    _page_override.clear()
    if page_size:
        _page_override.update(ecr=page_size, inspector2=page_size)


def install() -> None:
    """Mend moto's answers (idempotent)."""
    from moto.ecr.responses import ECRResponse
    from moto.inspector2.responses import Inspector2Response

    ECRResponse.describe_image_scan_findings = _describe_image_scan_findings  # type: ignore[method-assign]
    if not getattr(ECRResponse.describe_images, "_posture", False):
        original = ECRResponse.describe_images
        ECRResponse.describe_images = _with_scan_status(original)  # type: ignore[method-assign]
    Inspector2Response.list_findings = _list_findings  # type: ignore[method-assign]


def _page(service: str, handler: Any, items: list[Any]) -> tuple[list[Any], str | None]:
    size = int(handler._get_param("maxResults") or _page_override.get(service) or DEFAULT_PAGE[service])
    start = int(handler._get_param("nextToken") or 0)
    return items[start : start + size], (str(start + size) if start + size < len(items) else None)


def _describe_image_scan_findings(self: Any) -> Any:
    from moto.core.responses import ActionResult

    result = copy.deepcopy(
        self.ecr_backend.describe_image_scan_findings(
            registry_id=self._get_param("registryId"),
            repository_name=self._get_param("repositoryName"),
            image_id=self._get_param("imageId"),
        )
    )
    findings = result.get("imageScanFindings") or {}
    token = None
    for key in ("findings", "enhancedFindings"):
        if key in findings:
            findings[key], more = _page("ecr", self, findings[key])
            token = token or more
    if token:
        result["nextToken"] = token
    return ActionResult(result)


def _scan_result(backend: Any, repository: str, image: Any) -> dict[str, Any] | None:
    """The result moto will answer for ``image`` (assigned, queued, or waiting in the backend), unconsumed."""
    candidates = [*image.scan_finding_results.values(), *image.scan_finding_results_queue]
    for result in backend.scan_finding_results:
        wanted = result.get("imageId") or {}
        if result.get("repositoryName") == repository and wanted.get("imageDigest") in (None, image.image_digest):
            candidates.append(result)
    return candidates[0] if candidates else None


def _with_scan_status(original: Any) -> Any:
    def describe_images(self: Any) -> Any:
        response = original(self)
        repository = self._get_param("repositoryName")
        for image in response.result["imageDetails"]:
            result = _scan_result(self.ecr_backend, repository, image)
            if result is None and image.last_scan is None:
                continue
            status = (result or {}).get("imageScanStatus") or {"status": "COMPLETE"}
            findings = (result or {}).get("imageScanFindings") or {}
            image.image_scan_status = status
            image.image_scan_findings_summary = {
                "imageScanCompletedAt": findings.get("imageScanCompletedAt") or image.last_scan.timestamp(),
                "vulnerabilitySourceUpdatedAt": findings.get("vulnerabilitySourceUpdatedAt"),
                "findingSeverityCounts": findings.get("findingSeverityCounts") or {},
            }
        return response

    describe_images._posture = True  # type: ignore[attr-defined]
    return describe_images


def _matches(finding: dict[str, Any], criteria: dict[str, Any]) -> bool:
    for key, filters in criteria.items():
        values = [str(v) for v in CRITERIA[key](finding)] if key in CRITERIA else None
        if values is None:
            continue  # a criterion the emulator does not read narrows nothing
        for f in filters:
            comparison, wanted = f.get("comparison"), str(f.get("value"))
            if comparison == "EQUALS" and wanted not in values:
                return False
            if comparison == "NOT_EQUALS" and wanted in values:
                return False
            if comparison == "PREFIX" and not any(v.startswith(wanted) for v in values):
                return False
    return True


def _list_findings(self: Any) -> str:
    criteria = self._get_param("filterCriteria") or {}
    everything = [f for batch in self.inspector2_backend.findings_queue for f in batch or []]
    page, token = _page("inspector2", self, [f for f in everything if _matches(f, criteria)])
    body: dict[str, Any] = {"findings": page}
    if token:
        body["nextToken"] = token
    return json.dumps(body)


def _backend_image(account: str, region: str, repository: str, digest: str) -> Any:
    from moto.ecr.models import ecr_backends

    repo = ecr_backends[account][region].repositories[repository]
    return next(i for i in repo.images if i.image_digest == digest)


def put_ecr_scan(
    account: str,
    region: str,
    repository: str,
    digest: str,
    *,
    status: str,
    completed_at: datetime,
    findings: list[dict[str, Any]] | None = None,
    enhanced: list[dict[str, Any]] | None = None,
) -> None:
    """What ECR answers for ``digest``'s scan: ``status`` (COMPLETE, ACTIVE, FAILED ...), its time and findings."""
    from moto.moto_api._internal.models import moto_api_backend

    image = _backend_image(account, region, repository, digest)
    image.last_scan = completed_at
    counts: dict[str, int] = {}
    for finding in [*(findings or []), *(enhanced or [])]:
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
    scan_findings: dict[str, Any] = {
        "imageScanCompletedAt": completed_at.timestamp(),
        "vulnerabilitySourceUpdatedAt": completed_at.timestamp(),
        "findingSeverityCounts": counts,
    }
    if findings is not None:
        scan_findings["findings"] = findings
    if enhanced is not None:
        scan_findings["enhancedFindings"] = enhanced
    result = {
        "registryId": account,
        "repositoryName": repository,
        "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": status, "description": f"The scan status is {status}."},
        "imageScanFindings": scan_findings,
    }
    moto_api_backend.set_ecr_scan_finding_result(results=result, account_id=account, region=region)


def put_inspector_findings(account: str, region: str, findings: list[dict[str, Any]]) -> None:
    from moto.moto_api._internal.models import moto_api_backend

    # one queue entry is one list of findings (as the moto-api handler passes them), whatever moto's hint says
    moto_api_backend.set_inspector2_findings_result(results=findings, account_id=account, region=region)  # type: ignore[arg-type]


def backdate_push(account: str, region: str, repository: str, digest: str, pushed_at: datetime) -> None:
    """``imagePushedAt`` of an image moto stamped with the time of the put."""
    _backend_image(account, region, repository, digest).image_pushed_at = int(pushed_at.timestamp())
