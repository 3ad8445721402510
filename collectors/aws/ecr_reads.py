"""ECR reads two collectors share (``ecr`` and ``ecr_scans``), made once per scan through ``AwsSession.shared``.

Each caller keeps its own handling of a failure: ``ecr`` notes an unreadable image listing on the repository,
``ecr_scans`` fails its unit. The lists returned are shared: read them, do not change them.
"""

from __future__ import annotations

from typing import Any

from collectors.aws.common import paginate
from collectors.aws.provider import AwsSession


def scanning_configuration(session: AwsSession, region: str) -> dict[str, Any]:
    """GetRegistryScanningConfiguration's answer for the region's registry."""
    ecr = session.client("ecr", region)
    return session.shared(("ecr", region, "scanning"), ecr.get_registry_scanning_configuration)


def repositories(session: AwsSession, region: str) -> list[dict[str, Any]]:
    """Every repository of the region's registry (DescribeRepositories, every page)."""
    ecr = session.client("ecr", region)
    return session.shared(
        ("ecr", region, "repositories"), lambda: list(paginate(ecr, "describe_repositories", "repositories"))
    )


def images(session: AwsSession, region: str, repo: dict[str, Any]) -> list[dict[str, Any]]:
    """Every image of one repository (DescribeImages, every page)."""
    ecr = session.client("ecr", region)
    ids = {"repositoryName": repo["repositoryName"], "registryId": repo["registryId"]}
    return session.shared(
        ("ecr", region, "images", ids["registryId"], ids["repositoryName"]),
        lambda: list(paginate(ecr, "describe_images", "imageDetails", **ids)),
    )
