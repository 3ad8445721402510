"""Image scan results stored per (digest, scanner): from a cloud scan's records and from imported reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from collectors.image_scans import image_scan_record
from posture.access.models import AuditLog
from posture.images.imports import import_report
from posture.images.models import ImageScanResult
from posture.images.reports import ReportError, load, parse
from posture.images.store import store_scan_records, store_scans
from posture.scans.pipeline import create_scan, run_scan
from tests.conftest import estate_doc
from tests.images.conftest import MINER_DIGEST, REPORTS, WEB_DIGEST, ecr_scan, report

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_trivy_report_parsed_as_the_one_shape():
    scan = parse(load(report("web.trivy.json")))
    assert (scan["scanner"], scan["registry"], scan["repository"], scan["digest"]) == (
        "trivy",
        "ghcr.io",
        "acme/web",
        WEB_DIGEST,
    )
    assert scan["scanned_at"] == "2026-11-28T22:04:19Z" and scan["pushed_at"] == "2026-10-02T14:00:00Z"
    curl = next(v for v in scan["vulnerabilities"] if v["id"] == "CVE-2023-38545")
    assert curl == {
        "id": "CVE-2023-38545",
        "severity": "CRITICAL",
        "package": "libcurl4",
        "installed_version": "7.88.1-10+deb12u1",
        "fixed_version": "7.88.1-10+deb12u4",
        "title": "curl: heap based buffer overflow in the SOCKS5 proxy handshake",
        "url": "https://avd.aquasec.com/nvd/cve-2023-38545",
    }
    assert len(scan["vulnerabilities"]) == 9 and scan["tags"] == ["3.4.1"]


def test_grype_report_parsed_with_fix_state():
    scan = parse(load(report("miner.grype.json")), "grype")
    assert (scan["scanner"], scan["registry"], scan["repository"], scan["digest"]) == (
        "grype",
        "evil.example.com",
        "miner",
        MINER_DIGEST,
    )
    fixes = {v["package"]: v["fixed_version"] for v in scan["vulnerabilities"]}
    assert fixes["busybox"] == "" and fixes["express"] == "4.19.2"  # not-fixed: no fix, whatever versions say
    assert scan["scanned_at"] == "2026-11-29T10:00:00Z" and scan["pushed_at"] is None


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"[1, 2]", "not a JSON object"),
        (b"{", "not JSON"),
        (b"[" * 100000 + b"]" * 100000, "not JSON"),
        (b'{"a": 1}', "neither a Trivy"),
        (b'{"ArtifactName": "x", "Results": []}', "no registry digest"),
        (b'{"ArtifactName": "UPPER/Case", "Results": []}', "repository"),
        (b'{"ArtifactName": "x@sha256:nothex", "Results": []}', "algorithm:hex"),
        (b'{"ArtifactName": "x", "ArtifactType": "filesystem", "Results": []}', "not a container image"),
        (b'{"ArtifactName": "x", "Metadata": {"RepoDigests": "x@sha256:' + b"a" * 64 + b'"}, "Results": []}', "list"),
        (
            b'{"ArtifactName": "x", "Metadata": {"RepoDigests": ["x@sha256:' + b"a" * 64 + b'"]}, "CreatedAt": "soon",'
            b' "Results": []}',
            "ISO 8601",
        ),
        (
            b'{"ArtifactName": "x", "Metadata": {"RepoDigests": ["x@sha256:' + b"a" * 64 + b'"]},'
            b' "Results": [{"Vulnerabilities": [{"Severity": "HIGH"}]}]}',
            "no VulnerabilityID",
        ),
        (b'{"matches": [], "source": {"type": "directory", "target": "/"}}', "not an image"),
        (
            b'{"matches": {}, "source": {"type": "image", "target": {"userInput": "x", "manifestDigest": "sha256:'
            + b"b" * 64
            + b'"}}}',
            "matches is not a list",
        ),
    ],
)
def test_hostile_reports_refused_with_the_reason(db, raw, message):
    with pytest.raises(ReportError, match=message):
        import_report(raw)
    assert not ImageScanResult.objects.exists() and not AuditLog.objects.filter(action="images.import").exists()


def test_a_report_of_the_other_format_is_refused(db):
    with pytest.raises(ReportError, match="not a grype report"):
        import_report(report("web.trivy.json"), fmt="grype")


def test_import_upserts_and_keeps_the_newest(db):
    first = import_report(report("web.trivy.json"))
    assert (first.stats.new, first.result.imported, first.result.imported_at is not None) == (1, True, True)
    row = ImageScanResult.objects.get()
    assert (row.critical, row.critical_fixable, row.high, row.high_fixable, row.medium, row.low) == (3, 2, 2, 1, 2, 2)
    again = import_report(report("web.trivy.json"))
    assert (again.stats.new, again.stats.updated) == (0, 1) and ImageScanResult.objects.count() == 1
    older = json.loads(report("web.trivy.json"))
    older["CreatedAt"] = "2025-01-01T00:00:00Z"
    assert import_report(json.dumps(older)).stats.older == 1
    assert ImageScanResult.objects.get().scanned_at.year == 2026
    assert AuditLog.objects.filter(action="images.import").count() == 3


def test_rescans_from_cloud_records_do_not_duplicate(db, account):
    records = [image_scan_record("aws", "ecr", ecr_scan(), "eu-west-1")]
    assert store_scan_records(account, records, NOW).new == 1
    newer = [image_scan_record("aws", "ecr", ecr_scan(scanned_at="2026-11-20T00:00:00Z", fixed=""), "eu-west-1")]
    assert store_scan_records(account, newer, NOW).updated == 1
    row = ImageScanResult.objects.get(digest=WEB_DIGEST, source="inspector")
    assert (row.account, row.critical, row.critical_fixable, row.imported) == (account, 1, 0, False)
    store_scans([ecr_scan(digest=MINER_DIGEST)], NOW, account=account)
    assert ImageScanResult.objects.count() == 2


def test_a_cloud_scan_stores_its_image_scan_records(db, account, estate):
    doc = estate_doc()
    record = image_scan_record("testcloud", "storage", ecr_scan(), "r1")  # any type ending in .image_scan
    doc["resources"].append(
        {"service": "storage", "region": "r1", "type": record.type, "uid": record.uid, "config": record.config}
    )
    estate.write(doc)
    for _ in range(2):
        scan = run_scan(create_scan(account).pk)
        assert scan.state == "succeeded" and scan.counts["image_scans"] == 1
    row = ImageScanResult.objects.get()
    assert (row.account_id, row.source, row.digest, row.critical_fixable) == (account.pk, "inspector", WEB_DIGEST, 1)


def test_the_command_imports_and_refuses(db, tmp_path):
    out = StringIO()
    call_command("images", "import", str(REPORTS / "miner.grype.json"), "--format", "auto", stdout=out)
    assert "evil.example.com/miner@" + MINER_DIGEST in out.getvalue() and "(grype): imported" in out.getvalue()
    bad = tmp_path / "bad.json"
    bad.write_text('{"ArtifactName": "x", "Results": []}')
    with pytest.raises(CommandError, match="no registry digest"):
        call_command("images", "import", str(bad))
    with pytest.raises(CommandError, match="no such file"):
        call_command("images", "import", str(tmp_path / "missing.json"))


def test_a_cloud_record_is_data_too(db, account):
    scan = ecr_scan()
    scan["vulnerabilities"] = [
        {"id": "CVE-1", "severity": "SEVERE", "package": "p", "fixed_version": "2", "url": "javascript:alert(1)"},
        "junk",
    ]
    store_scan_records(account, [image_scan_record("aws", "ecr", scan, "eu-west-1")], NOW)
    row = ImageScanResult.objects.get()
    assert (row.unknown, row.unknown_fixable, row.total) == (1, 1, 1)  # junk left out
    assert [v["url"] for v in row.vulnerabilities] == [""]


def test_the_command_refuses_a_viewer(db, tmp_path):
    from django.contrib.auth.models import Group, User

    viewer = User.objects.create_user("vic", password="a-long-test-password")
    viewer.groups.add(Group.objects.get(name="viewer"))
    with pytest.raises(CommandError, match="may not import"):
        call_command("images", "import", str(REPORTS / "web.trivy.json"), "--as-user", "vic")
    assert not ImageScanResult.objects.exists()
