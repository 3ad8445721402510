"""Exports carry the fixable CVEs of an image finding: OCSF vulnerabilities[], SARIF result properties."""

from __future__ import annotations

import json

from posture.findings.export import export_stream
from posture.findings.models import Finding
from posture.images.export import evidence_vulnerabilities
from posture.images.imports import import_report
from tests.frontend.test_images_workloads import add_cluster, emulator  # noqa: F401  (fixture)
from tests.images.conftest import WEB_DIGEST, report

RULE = "kubernetes.image_vulnerabilities.no_fixable_critical_or_high"


def exported(fmt: str, findings) -> object:
    return json.loads("".join(export_stream(fmt, findings)))


def test_ocsf_and_sarif_list_the_cves_with_their_fixed_versions(db, emulator, tmp_path):  # noqa: F811
    import_report(report("web.trivy.json"))
    account = add_cluster(emulator, tmp_path, "demo-cluster")
    web = Finding.objects.filter(account=account, rule_id=RULE, resource_uid="shop/Deployment/web")
    (event,) = exported("ocsf", web)
    curl = next(v for v in event["vulnerabilities"] if v["cve"]["uid"] == "CVE-2023-38545")
    assert curl == {
        "title": "CVE-2023-38545",
        "severity": "Critical",
        "is_fix_available": True,
        "affected_packages": [
            {"name": "libcurl4", "version": "7.88.1-10+deb12u1", "fixed_in_version": "7.88.1-10+deb12u4"}
        ],
        "vendor_name": "Posture",
        "cve": {"uid": "CVE-2023-38545"},
    }
    assert len(event["vulnerabilities"]) == 3 and event["severity"] == "High"
    sarif = exported("sarif", web)
    (result,) = sarif["runs"][0]["results"]
    listed = {(v["id"], v["package"], v["fixed_version"], v["digest"]) for v in result["properties"]["vulnerabilities"]}
    assert ("CVE-2024-6387", "openssh-client", "1:9.2p1-2+deb12u3", WEB_DIGEST) in listed
    other = Finding.objects.filter(account=account).exclude(rule_id=RULE)[:5]
    assert all("vulnerabilities" not in e for e in exported("ocsf", other))


def test_only_well_formed_evidence_is_read_as_vulnerabilities():
    evidence = [
        {"path": "_imageScans.sha256:aa.fixable.0", "value": {"id": "GHSA-x", "fixed_version": "2"}},
        {"path": "_imageScans.sha256:aa.fixable.1", "value": "CVE-1 as text"},
        {"path": "spec.containers.0.image", "value": {"id": "CVE-2"}},
        "junk",
        {"path": "_imageScans.sha256:aa.counts", "value": {"id": "CVE-3"}},
    ]
    assert evidence_vulnerabilities(evidence) == [{"id": "GHSA-x", "fixed_version": "2", "digest": "sha256:aa"}]
