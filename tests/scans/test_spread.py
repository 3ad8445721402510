"""A scan spread over workers (posture/scans/spread.py) stores exactly what the in-process scan stores.

The estate is every record of the rule cases (tests/rules/cases, first of each uid) spread over the test
provider's three units, so context rules (alarms reading trails, RBAC, workloads per region) read records
another unit collected; plus a workload running an image whose scan result a different unit collected. The
units run here in-process (tests/scans/spread_tasks.py), in an order of the test's choosing, redelivered as the
test says (units lost: test_spread_lost_units.py); batches and the context's memory are made tiny so that
every boundary is crossed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.records import ResourceRecord
from posture.findings.models import ComplianceSnapshot, Finding, FindingEvent
from posture.inventory.models import Resource, ResourceChange
from posture.scans import spread, staged
from posture.scans.models import ContainerState, Scan, ScanUnit, StagedRecord
from posture.scans.pipeline import cancel_scan, create_scan, run_scan
from tests.scans.spread_tasks import commits, new_account, run, spread_scan, started

pytestmark = pytest.mark.django_db
CASES = Path(__file__).resolve().parents[1] / "rules" / "cases"
UNITS = [("storage", "r1"), ("storage", "r2"), ("iam", "global")]
DIGEST = "sha256:" + "c" * 64


def case_records() -> list[dict[str, Any]]:
    """Every resource and context record of the rule cases, the first of each uid."""
    seen: dict[str, dict[str, Any]] = {}
    for path in sorted(CASES.rglob("*.yaml")):
        for case in yaml.safe_load(path.read_text()) or []:
            for item in [case.get("resource"), *(case.get("context") or [])]:
                if isinstance(item, dict) and item.get("uid") and item["uid"] not in seen:
                    seen[item["uid"]] = item
    return list(seen.values())


def place(item: dict[str, Any]) -> dict[str, Any]:
    service, region = UNITS[int(hashlib.sha256(item["uid"].encode()).hexdigest(), 16) % 3]
    placed = {"service": service, "region": region, "type": item["type"], "uid": item["uid"]}
    return placed | {"name": item.get("name", item["uid"]), "config": copy.deepcopy(item.get("config") or {})}


def image_records() -> list[dict[str, Any]]:
    """A workload running DIGEST in one unit; the registry's scan of DIGEST in another."""
    workload = {
        "service": "storage",
        "region": "r1",
        "type": "kubernetes.workloads.workload",
        "uid": "shop/Deployment/checkout",
        "config": {
            "kind": "Deployment",
            "metadata": {"name": "checkout", "namespace": "shop"},
            "_pods": [
                {
                    "name": "checkout-1",
                    "containers": [{"name": "app", "image": "ecr/checkout:1", "imageID": f"x@{DIGEST}"}],
                }
            ],
        },
    }
    scan = {
        "digest": DIGEST,
        "registry": "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "repository": "checkout",
        "tags": ["1"],
        "scanner": "inspector",
        "status": "complete",
        "scanned_at": "2999-01-01T00:00:00+00:00",
        "pushed_at": None,
        "vulnerabilities": [
            {
                "id": "CVE-2023-38545",
                "severity": "CRITICAL",
                "package": "libcurl4",
                "installed_version": "7.88.1-10",
                "fixed_version": "7.88.1-11",
                "title": "",
                "url": "",
            }
        ],
    }
    record = {
        "service": "iam",
        "type": "aws.ecr.image_scan",
        "uid": f"checkout@{DIGEST}",
        "config": {"_ImageScan": scan},
    }
    return [workload, record]


CASE_RECORDS = [place(item) for item in case_records()]
ESTATE = CASE_RECORDS + image_records()


def changed(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The estate a while later: of the rule cases' records every seventh gone, every fifth with one more config
    key, two new; the workload and its image scan stay (whatever the number of cases puts them at)."""
    later = [place({"type": "aws.s3.bucket", "uid": f"arn:aws:s3:::new-{n}", "config": {}}) for n in range(2)]
    cases = {item["uid"] for item in CASE_RECORDS}
    later += [item for item in resources if item["uid"] not in cases]
    for n, item in enumerate(r for r in resources if r["uid"] in cases):
        if n % 7 == 3:
            continue
        later.append(item | {"config": {**item["config"], "Drifted": True}} if n % 5 == 1 else item)
    return later


def everything(account) -> dict[str, Any]:
    """What a scan leaves behind, without ids and timestamps; per scan in order."""
    scans = list(Scan.objects.filter(account=account).order_by("id").values_list("id", flat=True))
    order = {pk: n for n, pk in enumerate(scans)}
    return {
        "scans": [
            (s.state, s.errors, {k: v for k, v in s.counts.items() if k != "image_scans"})
            for s in Scan.objects.filter(account=account).order_by("id")
        ],
        "resources": sorted(
            (uid, type_, name, digest, gone is None)
            for uid, type_, name, digest, gone in Resource.objects.filter(account=account).values_list(
                "uid", "type", "name", "config_hash", "gone_at"
            )
        ),
        "findings": sorted(
            (f.rule_id, f.resource_uid, f.status, f.severity, f.message, repr(f.evidence), f.search_text)
            for f in Finding.objects.filter(account=account)
        ),
        "events": sorted(
            (order[e.scan_id], e.finding.rule_id, e.finding.resource_uid, e.kind, e.from_status, e.to_status, e.note)
            for e in FindingEvent.objects.filter(finding__account=account).select_related("finding")
        ),
        "changes": sorted(
            (order[c.scan_id], c.resource.uid, c.kind, c.fields_changed, repr(c.diff))
            for c in ResourceChange.objects.filter(resource__account=account).select_related("resource")
        ),
        "snapshots": sorted(
            (order[s.scan_id], s.framework_id, s.control_id, s.status, s.passed, s.failed, s.errored, s.manual)
            for s in ComplianceSnapshot.objects.filter(account=account)
        ),
        "containers": [
            (c.images, c.containers, c.tag_moves, c.restarts, c.replacements)
            for c in ContainerState.objects.filter(scan__account=account).order_by("scan_id")
        ],
    }


@pytest.fixture
def tiny_batches(monkeypatch):
    monkeypatch.setattr(staged, "BATCH", 13)
    monkeypatch.setattr(staged, "CONTEXT_LIMIT", 20)


@pytest.mark.parametrize("unprepared", [False, True], ids=["prepared-in-units", "unprepared"])
def test_a_spread_scan_stores_exactly_what_an_in_process_scan_stores(estate, tiny_batches, unprepared) -> None:
    doc = {"id": "test-0001", "regions": ["r1", "r2"], "resources": ESTATE}
    estate.write(doc)
    here, there = new_account(estate, "in-process"), new_account(estate, "spread")
    assert run_scan(create_scan(here).pk).state == "succeeded"
    assert spread_scan(there, unprepared=unprepared).state == "succeeded"
    estate.write(doc | {"resources": changed(ESTATE)})
    run_scan(create_scan(here).pk)
    spread_scan(there, order=list, unprepared=unprepared)
    ours, theirs = everything(here), everything(there)
    assert len(ours["findings"]) > 500 and {f[2] for f in ours["findings"]} >= {"PASS", "FAIL"}
    assert any(kind == "resolved" for _, _, _, kind, *_ in ours["events"])
    image_findings = [f for f in ours["findings"] if f[1] == "shop/Deployment/checkout" and "CVE-2023-38545" in f[5]]
    assert image_findings, "the image scan another unit collected reached the workload's rules"
    assert ours["containers"], "the workload's containers were recorded"
    for key in ours:
        assert theirs[key] == ours[key], key
    assert StagedRecord.objects.count() == 0, "nothing staged is left behind"


def test_a_unit_taken_again_mid_run_counts_once(account, estate, tiny_batches) -> None:
    scan, units, finishing = started(account)
    first = spread._take(units[0])  # a worker took it, staged a batch and died; the task is delivered again
    ghost = ResourceRecord("testcloud", "storage", "testcloud.storage.bucket", "b-ghost", "b-ghost", "r1")
    staged.stage(ScanUnit.objects.get(pk=units[0]), first, [ghost])
    for unit in units:
        run(unit, finishing)
    with commits():
        assert not spread.report(units[0], first, None, 1, finishing.append), "the older attempt reports too late"
    result = spread.finish(scan.pk)
    assert result.state == "succeeded" and result.counts["resources"] == 4
    assert not Resource.objects.filter(uid="b-ghost").exists()
    assert Finding.objects.filter(account=account).count() == 4


def test_a_failed_unit_makes_the_scan_partial(account, estate) -> None:
    from tests.conftest import estate_doc

    estate.write(estate_doc(fail=[{"service": "storage", "region": "r2", "error": "boom"}]))
    result = spread_scan(account)
    assert result.state == "partial"
    assert [(e["service"], e["region"]) for e in result.errors] == [("storage", "r2")]
    assert set(Resource.objects.values_list("uid", flat=True)) == {"b-public", "b-private", "u-alice"}


def test_a_cancelled_spread_scan_stops_and_stores_nothing(account) -> None:
    scan, units, finishing = started(account)
    run(units[0], finishing)
    assert cancel_scan(scan)
    assert [run(u, finishing) for u in units[1:]] == ["skipped", "skipped"]
    assert spread.finish(scan.pk).state == "cancelled"
    assert spread.reap_lost_units() == [] and StagedRecord.objects.count() == 0
    assert Resource.objects.count() == 0 and Finding.objects.count() == 0


def test_the_units_judge_the_rules_that_read_only_their_record(account, estate) -> None:
    """The finishing step takes a unit's verdict as it is (it does not judge that rule again) and judges the rest."""
    estate.write({"id": "test-0001", "regions": ["r1", "r2"], "resources": ESTATE})
    scan, units, finishing = started(account)
    for unit in units:
        run(unit, finishing)
    rows = StagedRecord.objects.filter(scan=scan)
    prepared = {uid: json.loads(text) for uid, text in rows.values_list("uid", "prepared") if text}
    unprepared = set(rows.filter(prepared="").values_list("type", flat=True))
    assert unprepared == {"kubernetes.workloads.workload"}, "only workloads running images: enriched when storing"
    assert len(prepared) > 300
    judged = {rule for p in prepared.values() for rule, *_ in p["verdicts"]}
    vpc = prepared["arn:aws:ec2:us-east-1:123456789012:vpc/vpc-a"]
    assert "aws.vpc.s3_endpoint_for_workloads" not in {v[0] for v in vpc["verdicts"]}, "it reads the workloads"
    assert len(judged) > 100
    bucket = next(uid for uid in prepared if uid.startswith("arn:aws:s3:::"))
    verdicts = prepared[bucket]["verdicts"]
    rule_id = next(v[0] for v in verdicts if v[1] is not None)
    prepared[bucket]["verdicts"] = [[v[0], "FAIL", "as the unit said", []] if v[0] == rule_id else v for v in verdicts]
    rows.filter(uid=bucket).update(prepared=json.dumps(prepared[bucket]))
    assert spread.finish(scan.pk).state == "succeeded"
    finding = Finding.objects.get(account=account, rule_id=rule_id, resource_uid=bucket)
    assert (finding.status, finding.message) == ("FAIL", "as the unit said")
