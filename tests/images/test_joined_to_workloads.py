"""Scan results joined to what runs: a cluster scan attaches them to its workloads, and the rules rule on them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from posture.findings.models import Finding
from posture.images.imports import import_report
from posture.images.running import running_digests, scans_for_workload
from posture.inventory.models import Resource, ResourceChange
from posture.scans.pipeline import create_scan, run_scan
from tests.frontend.test_images_workloads import cluster, emulator  # noqa: F401  (fixtures)
from tests.images.conftest import MINER_DIGEST, WEB_DIGEST, report

FIXABLE = "kubernetes.image_vulnerabilities.no_fixable_critical_or_high"
CURRENT = "kubernetes.image_vulnerabilities.scan_current"


def finding(account, rule: str, uid: str) -> Finding:
    return Finding.objects.get(account=account, rule_id=rule, resource_uid=uid)


def test_running_digests_from_the_pods():
    config = {
        "_pods": [
            {
                "name": "web-1",
                "containers": [{"name": "app", "imageID": f"docker-pullable://ghcr.io/acme/web@{WEB_DIGEST}"}],
            },
            {
                "name": "web-2",
                "containers": [{"name": "app", "imageID": f"ghcr.io/acme/web@{WEB_DIGEST}"}, {"name": "x"}],
            },
            "junk",
        ]
    }
    assert running_digests(config) == {WEB_DIGEST: ["web-1/app", "web-2/app"]}


def test_a_cluster_scan_rules_on_the_imported_results(db, emulator, tmp_path):  # noqa: F811
    from tests.frontend.test_images_workloads import add_cluster

    import_report(report("web.trivy.json"))
    account = add_cluster(emulator, tmp_path, "demo-cluster")
    web = Resource.objects.get(account=account, uid="shop/Deployment/web")
    summary = web.config["_imageScans"][WEB_DIGEST]
    assert (summary["scanner"], summary["imported"], summary["fixable_total"]) == ("trivy", True, 3)
    assert [v["id"] for v in summary["fixable"]] == ["CVE-2023-38545", "CVE-2024-45490", "CVE-2024-6387"]
    failed = finding(account, FIXABLE, "shop/Deployment/web")
    assert failed.status == "FAIL"
    assert {
        "path": f"_imageScans.{WEB_DIGEST}.fixable.0",
        "value": {
            "id": "CVE-2023-38545",
            "severity": "CRITICAL",
            "package": "libcurl4",
            "installed_version": "7.88.1-10+deb12u1",
            "fixed_version": "7.88.1-10+deb12u4",
        },
    } in failed.evidence
    miner = finding(account, CURRENT, "legacy/Deployment/miner")
    assert miner.status == "FAIL" and {"path": f"_imageScans.{MINER_DIGEST}", "value": None} in miner.evidence
    assert not Finding.objects.filter(rule_id=FIXABLE, resource_uid="legacy/Deployment/miner").exists()
    assert set(scans_for_workload(web.config)) == {WEB_DIGEST}

    # A fixed image rescanned (same digest: the packages were patched in place for the test), a miner report
    fixed = json.loads(report("web.trivy.json"))
    for result in fixed["Results"]:
        result["Vulnerabilities"] = [v for v in result.get("Vulnerabilities") or [] if not v.get("FixedVersion")]
    fixed["CreatedAt"] = datetime.now(UTC).isoformat()  # fresh whenever the test runs
    import_report(json.dumps(fixed))
    miner_report = json.loads(report("miner.grype.json"))
    miner_report["descriptor"]["timestamp"] = datetime.now(UTC).isoformat()
    import_report(json.dumps(miner_report))
    changes = ResourceChange.objects.count()
    assert run_scan(create_scan(account).pk).state == "succeeded"
    assert finding(account, FIXABLE, "shop/Deployment/web").status == "PASS"
    assert finding(account, CURRENT, "legacy/Deployment/miner").status == "PASS"
    assert finding(account, FIXABLE, "legacy/Deployment/miner").status == "PASS"  # Medium and Low only
    assert ResourceChange.objects.count() == changes  # new scan results are not drift of the workloads
