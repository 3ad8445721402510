"""The demo's ECR images (:mod:`emulators.images`) on moto: repositories, pushes, and Amazon Inspector's findings.

The registry scans with ENHANCED scanning (Inspector, continuous), so each image has an ``ACTIVE`` scan with a
completion time, and its vulnerabilities are Inspector findings in ListFindings' own shape. Needs
:mod:`emulators.aws.scans`' mends (installed with every mend by :func:`emulators.aws.mends.install` wherever
moto runs) and moto in this process.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from emulators.aws import scans
from emulators.images import AWS_ACCOUNT, AWS_IMAGES, AWS_REGION, DemoImage, Vuln

ClientFactory = Callable[[str], Any]


def manifest(image: DemoImage) -> str:
    config = "sha256:" + hashlib.sha256(f"config:{image.name}:{image.tag}".encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1469, "digest": config},
            "layers": [],
        }
    )


def inspector_finding(image: DemoImage, vuln: Vuln, now: datetime, account: str, region: str) -> dict[str, Any]:
    """An Inspector PACKAGE_VULNERABILITY finding on an ECR image, as ListFindings returns it."""
    seen = (image.scanned_at(now) or now).timestamp()
    first = image.pushed_at(now).timestamp()
    repo_arn = f"arn:aws:ecr:{region}:{account}:repository/{image.repository}"
    finding_id = hashlib.sha256(f"{image.digest}/{vuln.cve}".encode()).hexdigest()[:32]
    return {
        "findingArn": f"arn:aws:inspector2:{region}:{account}:finding/{finding_id}",
        "awsAccountId": account,
        "type": "PACKAGE_VULNERABILITY",
        "description": f"{vuln.title}.",
        "title": f"{vuln.cve} - {vuln.package}",
        "remediation": {"recommendation": {"text": "None Provided"}},
        "severity": vuln.severity,
        "firstObservedAt": first,
        "lastObservedAt": seen,
        "updatedAt": seen,
        "status": "ACTIVE",
        "inspectorScore": vuln.score,
        "fixAvailable": "YES" if vuln.fixed else "NO",
        "exploitAvailable": "NO",
        "resources": [
            {
                "type": "AWS_ECR_CONTAINER_IMAGE",
                "id": f"{repo_arn}/{image.digest}",
                "partition": "aws",
                "region": region,
                "details": {
                    "awsEcrContainerImage": {
                        "repositoryName": image.repository,
                        "imageTags": [image.tag],
                        "pushedAt": first,
                        "architecture": "amd64",
                        "imageHash": image.digest,
                        "registry": account,
                        "platform": "DEBIAN_12",
                    }
                },
            }
        ],
        "packageVulnerabilityDetails": {
            "vulnerabilityId": vuln.cve,
            "source": "DEBIAN_CVE",
            "sourceUrl": f"https://security-tracker.debian.org/tracker/{vuln.cve}",
            "vendorSeverity": vuln.severity.title(),
            "cvss": [
                {"baseScore": vuln.score, "scoringVector": "CVSS:3.1/AV:N/AC:L", "version": "3.1", "source": "NVD"}
            ],
            "referenceUrls": [f"https://nvd.nist.gov/vuln/detail/{vuln.cve}"],
            "vulnerablePackages": [
                {
                    "name": vuln.package,
                    "version": vuln.installed,
                    "arch": "AMD64",
                    "packageManager": "OS",
                    "fixedInVersion": vuln.fixed or "NotAvailable",
                    "remediation": f"apt-get upgrade {vuln.package}" if vuln.fixed else "None Provided",
                }
            ],
        },
    }


def build_image_scans(
    client: ClientFactory, now: datetime | None = None, account: str = AWS_ACCOUNT, region: str = AWS_REGION
) -> list[DemoImage]:
    """Push the catalogue's ECR images, turn on enhanced scanning, and load Inspector's findings."""
    now = now or datetime.now(UTC)
    ecr = client("ecr")
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}],
    )
    findings = []
    for image in AWS_IMAGES:
        ecr.create_repository(repositoryName=image.repository, imageTagMutability="IMMUTABLE")
        ecr.put_image(
            repositoryName=image.repository, imageManifest=manifest(image), imageTag=image.tag, imageDigest=image.digest
        )
        scans.backdate_push(account, region, image.repository, image.digest, image.pushed_at(now))
        ours = [inspector_finding(image, v, now, account, region) for v in image.vulns]
        scanned = image.scanned_at(now)
        if scanned is not None:
            scans.put_ecr_scan(
                account, region, image.repository, image.digest, status="ACTIVE", completed_at=scanned, enhanced=ours
            )
        findings += ours
    scans.put_inspector_findings(account, region, findings)
    return AWS_IMAGES
