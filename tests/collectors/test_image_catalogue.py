"""The demo's images end to end: what each cloud's scanner reports runs, digest for digest, in the demo cluster.

Four collections from four emulators (moto, the ARM, Google Cloud and Kubernetes emulators) over the estates
the demo serves; the running containers' ``imageID`` must name the digests the scanners scanned.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

import collectors.aws
import collectors.azure
import collectors.gcp
import collectors.kubernetes  # noqa: F401  (registers the provider)
from collectors import REGISTRY
from collectors.image_scans import IMAGE_SCAN_KEY
from collectors.records import ResourceRecord, Target
from collectors.run import collect, plan
from emulators.aws.estate_images import build_image_scans
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB
from emulators.azure.demo import demo_estate as azure_estate
from emulators.gcp import GcpEmulator
from emulators.gcp import demo_estate as gcp_estate
from emulators.images import ALL_IMAGES, EXTERNAL_IMAGES, deployment_name
from emulators.kubernetes import KubernetesEmulator
from emulators.kubernetes.scenarios import demo_estate as cluster_estate
from tests.collectors.aws.conftest import FAKE_ENV
from tests.collectors.azure.conftest import TOKEN as AZURE_TOKEN
from tests.collectors.gcp.conftest import TOKEN as GCP_TOKEN


def scan_records(provider: str, target: Target, service: str) -> list[ResourceRecord]:
    spec = REGISTRY.provider(provider)
    session = spec.connect(target)
    result = collect(spec, session, [u for u in plan(spec, session, target) if u.service == service])
    assert result.errors == []
    return result.records


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, dict[str, Any]]]:
    """Every cloud's image scans by digest."""
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    records = []
    with mock_aws():
        build_image_scans(lambda service: boto3.client(service, region_name="us-east-1"))
        records += scan_records("aws", Target("aws", "a", regions=("us-east-1",)), "ecr_scans")
    with ArmEmulator(azure_estate(), token=AZURE_TOKEN) as arm:
        creds = {"access_token": AZURE_TOKEN, "subscription_id": SUB}
        records += scan_records(
            "azure", Target("azure", "z", endpoint_url=arm.url, credentials=creds), "defender_scans"
        )
    with GcpEmulator(gcp_estate(), token=GCP_TOKEN) as gcp:
        creds = {"access_token": GCP_TOKEN, "projects": "acme-prod"}
        records += scan_records("gcp", Target("gcp", "g", endpoint_url=gcp.url, credentials=creds), "artifact_analysis")
    yield {r.config[IMAGE_SCAN_KEY]["digest"]: r.config[IMAGE_SCAN_KEY] for r in records}


def running(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    """The demo cluster's workloads' containers, by workload name."""
    with KubernetesEmulator(cluster_estate(images=True)) as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        records = scan_records(
            "kubernetes", Target("kubernetes", "k", credentials={"kubeconfig": str(kubeconfig)}), "workloads"
        )
    return {
        r.name.rsplit("/", 1)[-1]: [c for p in r.config["_pods"] for c in p["containers"]]
        for r in records
        if r.type == "kubernetes.workloads.workload"
    }


def test_every_scanned_image_runs_in_the_demo_cluster_with_its_digest(
    scanned: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    containers = running(tmp_path)
    for image in ALL_IMAGES:
        [container] = containers[deployment_name(image)]
        assert container["image"] == image.ref
        assert container["imageID"] == f"{image.ref.rsplit(':', 1)[0]}@{image.digest}"
        if image.cloud:
            scan = scanned[image.digest]
            assert f"{scan['registry']}/{scan['repository']}" == image.ref.rsplit(":", 1)[0]
        else:
            assert image.digest not in scanned  # the imported (or never) scanned ones
    for cloud in ("aws", "azure", "gcp"):
        mine = [s for d, s in scanned.items() if any(i.digest == d and i.cloud == cloud for i in ALL_IMAGES)]
        assert len(mine) == 4
        fixable = [v for s in mine for v in s["vulnerabilities"] if v["severity"] == "CRITICAL" and v["fixed_version"]]
        assert len(fixable) == 1, cloud
        assert sum(1 for s in mine if s["status"] == "complete" and not s["vulnerabilities"]) == 1, cloud


def test_the_external_images_have_the_agreed_refs_and_digests() -> None:
    wanted = {
        "ghcr.io/acme/billing-worker:2.1.0": b"billing-worker:2.1.0",
        "quay.io/acme/report-renderer:0.9.3": b"report-renderer:0.9.3",
        "docker.io/acme/legacy-cron:1.0": b"legacy-cron:1.0",
    }
    assert {i.ref: i.digest for i in EXTERNAL_IMAGES} == {
        ref: "sha256:" + hashlib.sha256(seed).hexdigest() for ref, seed in wanted.items()
    }
