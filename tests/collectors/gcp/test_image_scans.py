"""Artifact Analysis occurrences (and Artifact Registry's image listing) per image digest, against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.gcp import PROVIDER
from collectors.image_scans import IMAGE_SCAN_KEY
from collectors.run import Collection, collect, plan
from emulators.gcp import GcpEmulator
from emulators.gcp.estate_images import discovery_occurrence, vulnerability_occurrence
from emulators.images import GCP_IMAGES, OLD_PUSH_DAYS, STALE_DAYS, DemoImage, Vuln
from tests.collectors.gcp.conftest import session_for, target

NOW = datetime.now(UTC)


def run(emulator: GcpEmulator, services: tuple[str, ...] = ("artifact_analysis",)) -> Collection:
    session = session_for(emulator)
    units = [u for u in plan(PROVIDER, session, target(emulator)) if u.service in services]
    return collect(PROVIDER, session, units)


def scans(result: Collection) -> dict[str, dict[str, Any]]:
    return {
        r.config[IMAGE_SCAN_KEY]["repository"]: r.config[IMAGE_SCAN_KEY]
        for r in result.records
        if r.type == "gcp.artifact_analysis.image_scan"
    }


def test_the_demo_images_are_read_through_every_page(emulator: GcpEmulator) -> None:
    result = run(emulator)
    assert result.errors == []
    assert sum(1 for api, _ in emulator.calls if api == "containeranalysis") >= 4  # two a page, two kinds
    found = scans(result)
    assert set(found) == {i.path for i in GCP_IMAGES}
    critical = found["acme-prod/apps/checkout"]
    assert critical["registry"] == "europe-docker.pkg.dev" and critical["digest"] == GCP_IMAGES[0].digest
    assert critical["scanner"] == "artifact-analysis" and critical["status"] == "complete"
    assert critical["tags"] == ["3.2.0"]
    worst = next(v for v in critical["vulnerabilities"] if v["severity"] == "CRITICAL")
    assert (worst["id"], worst["package"], worst["installed_version"], worst["fixed_version"]) == (
        "CVE-2024-3094",
        "xz-utils",
        "5.6.0-0.2",
        "5.6.1+really5.4.5-1",
    )
    assert found["acme-prod/apps/catalog"]["status"] == "complete"
    assert found["acme-prod/apps/catalog"]["vulnerabilities"] == []
    stale = found["acme-prod/apps/ledger"]
    assert datetime.fromisoformat(stale["scanned_at"]) < NOW - timedelta(days=STALE_DAYS - 1)
    assert stale["vulnerabilities"][0]["fixed_version"] == ""  # a fixed version of kind MAXIMUM: no fix
    assert datetime.fromisoformat(found["acme-prod/apps/mailer"]["pushed_at"]) < NOW - timedelta(days=OLD_PUSH_DAYS - 1)
    record = next(r for r in result.records if r.config[IMAGE_SCAN_KEY]["repository"] == "acme-prod/apps/checkout")
    assert record.uid == f"europe-docker.pkg.dev/acme-prod/apps/checkout@{GCP_IMAGES[0].digest}"
    assert record.config["_project"] == "acme-prod" and record.config["discovery"]["continuousAnalysis"] == "ACTIVE"


def image(name: str) -> DemoImage:
    return DemoImage("gcp", "us-docker.pkg.dev/acme-prod", f"tools/{name}", "1.0", "test")


def test_discovery_status_decides_and_severities_are_normalized(emulator: GcpEmulator) -> None:
    pending, unsupported, failed, noted = image("pending"), image("unsupported"), image("failed"), image("noted")
    project = emulator.estate["projects"][0]
    project["occurrences"] += [
        discovery_occurrence("acme-prod", pending, NOW, "PENDING"),
        discovery_occurrence("acme-prod", unsupported, NOW, "FINISHED_UNSUPPORTED"),
        discovery_occurrence("acme-prod", failed, NOW, "FINISHED_FAILED"),
        vulnerability_occurrence("acme-prod", pending, Vuln("CVE-2024-0009", "HIGH", "bash", "5.2"), NOW),
        vulnerability_occurrence("acme-prod", noted, Vuln("CVE-2024-0010", "MINIMAL", "tar", "1.34"), NOW),
        vulnerability_occurrence(
            "acme-prod", noted, Vuln("CVE-2024-0011", "SEVERITY_UNSPECIFIED", "gzip", "1.12"), NOW
        ),
    ]
    found = scans(run(emulator))
    assert found["acme-prod/tools/pending"]["status"] == "pending"
    assert found["acme-prod/tools/pending"]["vulnerabilities"] == []  # only a finished scan says anything
    assert found["acme-prod/tools/unsupported"]["status"] == "unsupported"
    assert found["acme-prod/tools/failed"]["status"] == "failed"
    noted_scan = found["acme-prod/tools/noted"]  # findings without a discovery: scanned when they were written
    assert noted_scan["status"] == "complete" and noted_scan["scanned_at"]
    assert {v["id"]: v["severity"] for v in noted_scan["vulnerabilities"]} == {
        "CVE-2024-0010": "LOW",
        "CVE-2024-0011": "UNKNOWN",
    }
    assert noted_scan["pushed_at"] is None  # us-docker.pkg.dev/acme-prod/tools is not a repository it lists
    assert noted_scan["registry"] == "us-docker.pkg.dev"


def test_a_denied_occurrence_listing_fails_its_unit_alone(emulator: GcpEmulator) -> None:
    emulator.fail("containeranalysis", 403)
    result = run(emulator, ("artifact_analysis", "container"))
    assert [(e.service, e.kind) for e in result.errors] == [("artifact_analysis", "denied")]
    assert "gcp.container.cluster" in {r.type for r in result.records}
    assert not scans(result)


def test_an_unreadable_registry_listing_keeps_the_scan_results(emulator: GcpEmulator) -> None:
    emulator.fail("artifactregistry", 403)
    result = run(emulator)
    assert result.errors == []
    records = [r for r in result.records if r.type == "gcp.artifact_analysis.image_scan"]
    assert len(records) == len(GCP_IMAGES)
    for record in records:
        assert record.config[IMAGE_SCAN_KEY]["pushed_at"] is None
        assert "denied" in record.config["_errors"]["dockerImages"]
    assert sum(1 for api, _ in emulator.calls if api == "artifactregistry") == 1  # one repository, read once
