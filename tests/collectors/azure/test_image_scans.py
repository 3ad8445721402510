"""Defender for Containers' image vulnerability sub-assessments through azure-mgmt-security and the ARM emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.azure import PROVIDER
from collectors.image_scans import IMAGE_SCAN_KEY
from collectors.run import Collection, collect, plan
from emulators.azure import ArmEmulator
from emulators.azure.demo import SUB, demo_estate
from emulators.azure.estate_images import sub_assessment
from emulators.images import AZURE_IMAGES, OLD_PUSH_DAYS, STALE_DAYS, DemoImage, Vuln
from tests.collectors.azure.conftest import target

NOW = datetime.now(UTC)


def run(emulator: ArmEmulator, services: tuple[str, ...] = ("defender_scans",)) -> Collection:
    session = PROVIDER.connect(target(emulator))
    return collect(PROVIDER, session, [u for u in plan(PROVIDER, session, target(emulator)) if u.service in services])


def scans(result: Collection) -> dict[str, dict[str, Any]]:
    return {
        r.config[IMAGE_SCAN_KEY]["repository"]: r.config[IMAGE_SCAN_KEY]
        for r in result.records
        if r.type == "azure.defender_scans.image_scan"
    }


def test_the_demo_registry_images_are_read_through_every_page(emulator: ArmEmulator) -> None:
    result = run(emulator)
    assert result.errors == []
    assert emulator.requests_to("/providers/Microsoft.Security/subAssessments") >= 2  # five, three a page
    found = scans(result)
    assert set(found) == {i.repository for i in AZURE_IMAGES}
    critical = found["payments/checkout"]
    assert critical["scanner"] == "defender" and critical["status"] == "complete"
    assert critical["registry"] == "acrprod.azurecr.io" and critical["digest"] == AZURE_IMAGES[0].digest
    worst = next(v for v in critical["vulnerabilities"] if v["severity"] == "CRITICAL")
    assert (worst["id"], worst["package"], worst["fixed_version"]) == ("CVE-2023-4863", "libwebp", "1.2.4-4+deb12u1")
    assert worst["url"] == "https://nvd.nist.gov/vuln/detail/CVE-2023-4863"
    assert found["payments/catalog"]["status"] == "complete" and found["payments/catalog"]["vulnerabilities"] == []
    assert datetime.fromisoformat(found["payments/ledger"]["scanned_at"]) < NOW - timedelta(days=STALE_DAYS - 1)
    assert found["payments/ledger"]["vulnerabilities"][0]["fixed_version"] == ""  # NoFixAvailable
    assert datetime.fromisoformat(found["payments/mailer"]["pushed_at"]) < NOW - timedelta(days=OLD_PUSH_DAYS - 1)
    record = next(r for r in result.records if r.config[IMAGE_SCAN_KEY]["repository"] == "payments/checkout")
    assert record.uid == f"acrprod.azurecr.io/payments/checkout@{AZURE_IMAGES[0].digest}"
    assert record.config["assessments"] == ["c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"]


def legacy_sub_assessment(digest: str, qualys_id: str, severity: str, code: str = "Unhealthy") -> dict[str, Any]:
    """The ``ContainerRegistryVulnerability`` shape (Qualys era), as in the 2019-01-01-preview examples."""
    registry = f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.ContainerRegistry/registries/AcrLegacy"
    name = f"{digest[-8:]}-{qualys_id}"
    return {
        "id": f"{registry}/providers/Microsoft.Security/assessments/dbd0cb49-b563-45e7-9724-889e799fa648"
        f"/subAssessments/{name}",
        "name": name,
        "type": "Microsoft.Security/assessments/subAssessments",
        "properties": {
            "id": qualys_id,
            "displayName": "Debian Security Update for openssl",
            "status": {"code": code, "severity": severity},
            "remediation": "apt-get upgrade openssl",
            "category": "Debian",
            "timeGenerated": "2019-06-23T12:20:08.7644808Z",
            "resourceDetails": {"source": "Azure", "id": registry},
            "additionalData": {
                "assessedResourceType": "ContainerRegistryVulnerability",
                "type": "Vulnerability",
                "cvss": {"2.0": {"base": 10}, "3.0": {"base": 0}},
                "patchable": True,
                "cve": [{"title": "CVE-2018-0732", "link": "https://nvd.nist.gov/vuln/detail/CVE-2018-0732"}],
                "publishedTime": "2018-06-26T09:00:00Z",
                "vendorReferences": [],
                "repositoryName": "myRepo",
                "imageDigest": digest,
            },
        },
    }


def server_sub_assessment() -> dict[str, Any]:
    vm = f"/subscriptions/{SUB}/resourceGroups/legacy/providers/Microsoft.Compute/virtualMachines/vm1"
    return {
        "id": f"{vm}/providers/Microsoft.Security/assessments/1195afff-c881-495e-9bc5-1486211ae03f/subAssessments/1",
        "name": "1",
        "properties": {
            "id": "1",
            "status": {"code": "Unhealthy", "severity": "High"},
            "timeGenerated": "2024-01-01T00:00:00Z",
            "additionalData": {
                "assessedResourceType": "ServerVulnerabilityAssessment",
                "threat": "x",
                "patchable": True,
            },
        },
    }


def test_the_older_shape_and_exemptions_and_severity_words(emulator: ArmEmulator) -> None:
    digest = "sha256:" + "ab" * 32
    image = DemoImage("azure", "acrprod.azurecr.io", "payments/exempt", "1.0", "test")
    estate = demo_estate()
    estate["resources"] += [
        legacy_sub_assessment(digest, "176146", "Medium"),
        legacy_sub_assessment(digest, "176147", "Low", code="NotApplicable"),  # exempted: scanned, not counted
        server_sub_assessment(),  # a VM's finding: no image
        sub_assessment(image, Vuln("CVE-2024-0001", "IMPORTANT", "bash", "5.2"), NOW),  # a vendor's word
        sub_assessment(image, None, NOW),
    ]
    emulator.load(estate)
    found = scans(run(emulator))
    legacy = found["myRepo"]
    assert legacy["registry"] == "acrlegacy.azurecr.io" and legacy["digest"] == digest
    assert [(v["id"], v["severity"]) for v in legacy["vulnerabilities"]] == [("CVE-2018-0732", "MEDIUM")]
    assert legacy["scanned_at"] == "2019-06-23T12:20:08.764480+00:00"
    assert [v["severity"] for v in found["payments/exempt"]["vulnerabilities"]] == ["HIGH"]
    assert len(found) == 2 + len(AZURE_IMAGES)


def test_a_denied_sub_assessment_listing_fails_its_unit_alone(emulator: ArmEmulator) -> None:
    emulator.fail("/subassessments", 403)
    result = run(emulator, ("defender_scans", "security", "acr"))
    assert [(e.service, e.kind) for e in result.errors] == [("defender_scans", "denied")]
    assert {r.type for r in result.records} >= {"azure.security.pricing", "azure.acr.registry"}
    assert not scans(result)


def test_a_subscription_without_sub_assessments_has_no_image_scans(emulator: ArmEmulator) -> None:
    estate = demo_estate()
    estate["resources"] = [r for r in estate["resources"] if "/subassessments/" not in r["id"].lower()]
    emulator.load(estate)
    result = run(emulator)
    assert result.errors == [] and not scans(result)
