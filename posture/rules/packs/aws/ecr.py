"""ECR rules: images are scanned, tags are immutable, running images are recent."""

from __future__ import annotations

import fnmatch
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.packs.aws.support import age_days, where
from posture.rules.registry import field_rule, rule
from posture.rules.thresholds import stale_image_days
from posture.rules.verdicts import Evidence, Verdict, check, observed


def registry_scans(repository: ResourceRecord, ctx: Any) -> Evidence | None:
    for registry in ctx.resources("aws.ecr.registry"):
        if registry.region != repository.region:
            continue
        scanning = registry.config.get("scanningConfiguration") or {}
        for n, scan_rule in enumerate(scanning.get("rules") or []):
            if scanning.get("scanType") == "BASIC" and scan_rule.get("scanFrequency") != "SCAN_ON_PUSH":
                continue
            filters = [f.get("filter", "") for f in scan_rule.get("repositoryFilters") or []]
            if any(fnmatch.fnmatchcase(repository.name, f) for f in filters):
                return Evidence(where(registry, f"scanningConfiguration.rules.{n}"), scan_rule)
    return None


@rule(
    id="aws.ecr.repository_image_scanning_enabled",
    title="ECR images are scanned for vulnerabilities on push",
    severity="medium",
    category="images",
    resource_type="aws.ecr.repository",
    rationale="Scanning on push finds known vulnerabilities before the image runs.",
    remediation="aws ecr put-image-scanning-configuration --repository-name NAME --image-scanning-configuration "
    "scanOnPush=true (or a registry scanning rule, ideally ENHANCED, covering the repository)",
)
def ecr_scanning(resource: ResourceRecord, ctx: Any) -> Verdict:
    own = observed(resource.config, "imageScanningConfiguration.scanOnPush")
    if own.value is True:
        return check(True, "the repository scans on push", "", own)
    registry = registry_scans(resource, ctx)
    if registry is not None:
        return check(True, "a registry scanning rule covers the repository", "", own, registry)
    return check(False, "", "neither the repository nor a registry rule scans its images", own)


field_rule(
    id="aws.ecr.repository_tags_immutable",
    title="ECR repository image tags are immutable",
    severity="medium",
    category="images",
    resource_type="aws.ecr.repository",
    path="imageTagMutability",
    expect=lambda value: str(value).startswith("IMMUTABLE"),
    ok="image tags are immutable",
    bad="image tags are mutable",
    rationale="With mutable tags, a pushed image can silently replace what a tag pointed to, so deployments "
    "by tag are not reproducible and can be poisoned.",
    remediation="aws ecr put-image-tag-mutability --repository-name NAME --image-tag-mutability IMMUTABLE",
)


@rule(
    id="aws.ecr.repository_images_recently_pushed",
    title="ECR repositories are not stale (an image was pushed recently)",
    severity="low",
    category="images",
    resource_type="aws.ecr.repository",
    rationale="A repository with no push for months holds images built on old base layers that miss security "
    "fixes. The window is 180 days (POSTURE_ECR_STALE_IMAGE_DAYS).",
    remediation="Rebuild the images on a current base image and push them; remove repositories no longer used.",
)
def ecr_recent(resource: ResourceRecord, ctx: Any) -> Verdict | None:
    images = resource.config.get("_Images") or {}
    if not images.get("ImageCount"):
        return None
    limit = stale_image_days()
    age = age_days(images.get("LatestImagePushedAt"))
    if age is None:
        return None
    return check(
        age < limit,
        f"the newest image was pushed {int(age)} days ago",
        f"no image pushed for {int(age)} days (limit {limit})",
        observed(resource.config, "_Images.LatestImagePushedAt"),
    )
