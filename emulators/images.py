"""The demo's container images, in one place: what each cloud's registry holds, what its scanner found, what runs.

Every estate that shows an image imports it from here, so a digest is the same wherever it appears: in an
ECR repository (moto), an Azure Container Registry sub-assessment (the ARM emulator), an Artifact Analysis
occurrence (the Google Cloud emulator) and a pod's ``status.containerStatuses[].imageID`` in the demo
kubeconfig cluster (the Kubernetes emulator). A digest is ``"sha256:" + sha256(b"<registry>/<repository>:<tag>")``
for a cloud's image, ``"sha256:" + sha256(b"<name>:<tag>")`` (``<name>``: the repository's last part) for the
three others.

Per cloud registry (``aws``: ECR ``123456789012.dkr.ecr.us-east-1.amazonaws.com``, ``azure``: ACR
``acrprod.azurecr.io``, ``gcp``: Artifact Registry ``europe-docker.pkg.dev/acme-prod``), four images:

============  ==================================================================================
``critical``  scanned yesterday: a CRITICAL vulnerability with a fixed version, and a MEDIUM one
``clean``     scanned yesterday: no vulnerability at all
``stale``     last scanned 45 days ago (older than 30 days: stale), one HIGH without a fix
``old``       pushed 200 days ago (older than 180 days), scanned yesterday, one LOW
============  ==================================================================================

And three images from registries no cloud account scans, whose reports come from elsewhere:
``ghcr.io/acme/billing-worker:2.1.0`` and ``quay.io/acme/report-renderer:0.9.3`` (Trivy and Grype
reports imported into Posture), ``docker.io/acme/legacy-cron:1.0`` (never scanned).

All fifteen run in the demo kubeconfig cluster (namespace ``payments``, one Deployment each; see
:func:`emulators.kubernetes.scenarios.demo_estate`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

AWS_ACCOUNT = "123456789012"
AWS_REGION = "us-east-1"
ECR_HOST = f"{AWS_ACCOUNT}.dkr.ecr.{AWS_REGION}.amazonaws.com"
ACR_HOST = "acrprod.azurecr.io"
GAR_HOST = "europe-docker.pkg.dev"
GCP_PROJECT = "acme-prod"
STALE_DAYS = 45
OLD_PUSH_DAYS = 200


@dataclass(frozen=True)
class Vuln:
    """One vulnerability as every scanner knows it: id, severity word, package, versions."""

    cve: str
    severity: str  # CRITICAL, HIGH, MEDIUM, LOW
    package: str
    installed: str
    fixed: str = ""  # "" when no fix is known
    title: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class DemoImage:
    cloud: str  # aws, azure, gcp; "" for an image no cloud account scans
    registry: str  # the host, or host/project for Artifact Registry
    repository: str
    tag: str
    kind: str  # critical, clean, stale, old; external
    vulns: tuple[Vuln, ...] = ()
    scanned_days_ago: int | None = 1  # None: never scanned by the cloud
    pushed_days_ago: int = 12

    @property
    def name(self) -> str:
        return self.repository.rsplit("/", 1)[-1]

    @property
    def digest(self) -> str:
        """Unique per image: a cloud's ``checkout:3.2.0`` is not another cloud's."""
        return digest_of(f"{self.registry}/{self.repository}" if self.cloud else self.name, self.tag)

    @property
    def ref(self) -> str:
        """The reference a pod spec names: ``registry/repository:tag``."""
        return f"{self.registry}/{self.repository}:{self.tag}"

    @property
    def host(self) -> str:
        return self.registry.split("/", 1)[0]

    @property
    def path(self) -> str:
        """The image's path on its registry host: ``payments/checkout``, ``acme-prod/apps/ledger``."""
        return f"{self.registry}/{self.repository}".split("/", 1)[1]

    def scanned_at(self, now: datetime) -> datetime | None:
        return None if self.scanned_days_ago is None else now - timedelta(days=self.scanned_days_ago, hours=3)

    def pushed_at(self, now: datetime) -> datetime:
        return now - timedelta(days=self.pushed_days_ago, hours=5)


def digest_of(name: str, tag: str) -> str:
    return "sha256:" + hashlib.sha256(f"{name}:{tag}".encode()).hexdigest()


WEBP = Vuln("CVE-2023-4863", "CRITICAL", "libwebp", "1.2.4-4", "1.2.4-4+deb12u1", "libwebp heap buffer overflow", 9.6)
CURL = Vuln("CVE-2023-38545", "CRITICAL", "curl", "7.88.1-10", "7.88.1-10+deb12u4", "curl SOCKS5 heap overflow", 9.8)
XZ = Vuln("CVE-2024-3094", "CRITICAL", "xz-utils", "5.6.0-0.2", "5.6.1+really5.4.5-1", "xz backdoor", 10.0)
OPENSSL = Vuln("CVE-2023-5678", "MEDIUM", "openssl", "3.0.11-1", "3.0.13-1~deb12u1", "openssl DH check slowness", 5.3)
GLIBC = Vuln("CVE-2023-4911", "HIGH", "glibc", "2.36-9", "", "glibc ld.so tunables overflow", 7.8)
ZLIB = Vuln("CVE-2023-45853", "LOW", "zlib", "1.2.13", "", "zlib minizip overflow", 3.1)


def _cloud_images(cloud: str, registry: str, prefix: str, critical: Vuln) -> list[DemoImage]:
    return [
        DemoImage(cloud, registry, f"{prefix}checkout", "3.2.0", "critical", (critical, OPENSSL)),
        DemoImage(cloud, registry, f"{prefix}catalog", "1.8.1", "clean"),
        DemoImage(cloud, registry, f"{prefix}ledger", "5.0.1", "stale", (GLIBC,), scanned_days_ago=STALE_DAYS),
        DemoImage(cloud, registry, f"{prefix}mailer", "0.4.0", "old", (ZLIB,), pushed_days_ago=OLD_PUSH_DAYS),
    ]


AWS_IMAGES = _cloud_images("aws", ECR_HOST, "payments/", CURL)
AZURE_IMAGES = _cloud_images("azure", ACR_HOST, "payments/", WEBP)
GCP_IMAGES = _cloud_images("gcp", f"{GAR_HOST}/{GCP_PROJECT}", "apps/", XZ)
EXTERNAL_IMAGES = [
    DemoImage("", "ghcr.io", "acme/billing-worker", "2.1.0", "external", scanned_days_ago=None),
    DemoImage("", "quay.io", "acme/report-renderer", "0.9.3", "external", scanned_days_ago=None),
    DemoImage("", "docker.io", "acme/legacy-cron", "1.0", "external", scanned_days_ago=None),
]
ALL_IMAGES = [*AWS_IMAGES, *AZURE_IMAGES, *GCP_IMAGES, *EXTERNAL_IMAGES]


def images_of(cloud: str) -> list[DemoImage]:
    return [i for i in ALL_IMAGES if i.cloud == cloud]


def deployment_name(image: DemoImage) -> str:
    """The Deployment that runs ``image`` in the demo cluster: ``aws-checkout``, ``billing-worker``."""
    return f"{image.cloud}-{image.name}" if image.cloud else image.name
