"""A scan spread over workers (posture/scans/spread.py) stores exactly what the in-process scan stores.

The estate is every record of the rule cases (tests/rules/cases, first of each uid) spread over the test
provider's three units, so context rules (alarms reading trails, RBAC, workloads per region) read records
another unit collected; plus a workload running an image whose scan result a different unit collected. The
units run here in-process, in an order of the test's choosing, redelivered and lost as the test says; batches
and the context's memory are made tiny so that every boundary is crossed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.db import connection, transaction
from django.utils import timezone

from collectors.records import ResourceRecord
from posture.findings.models import ComplianceSnapshot, Finding, FindingEvent
from posture.inventory.accounts import AccountInput, create_account
from posture.inventory.models import Resource, ResourceChange
from posture.scans import spread, staged
from posture.scans.models import ContainerState, Scan, ScanUnit, StagedRecord
from posture.scans.pipeline import cancel_scan, create_scan, run_scan
from tests.support.aging import age

pytestmark = pytest.mark.django_db
CASES = Path(__file__).resolve().parents[1] / "rules" / "cases"
commits: Any = None
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


def new_account(estate, name: str):
    return create_account(
        AccountInput(provider="testcloud", name=name, regions=[], credentials={"estate": str(estate.path)}),
        source="cli",
    )


@pytest.fixture(autouse=True)
def committing(django_capture_on_commit_callbacks):
    """What a real commit does: the tasks queued on commit (here into lists) are queued."""
    global commits
    commits = lambda: django_capture_on_commit_callbacks(execute=True)  # noqa: E731
    yield


def started(account) -> tuple[Scan, list[int], list[int]]:
    """A spread scan started; its unit tasks and finishing tasks, queued into the two lists."""
    scan = create_scan(account)
    units: list[int] = []
    finishing: list[int] = []
    with commits():
        spread.start(scan.pk, lambda s, u: units.append(u), finishing.append)
    return scan, units, finishing


def run(unit: int, finishing: list[int], **options: Any) -> str:
    with commits():
        return spread.collect_unit(unit, finishing.append, **options)


def spread_scan(account, order=reversed, redeliver: bool = True, unprepared: bool = False) -> Scan:
    """A spread scan with its tasks run here: units in ``order``, the first one redelivered after it reported.

    ``unprepared``: the staged rows lose what their units prepared, as if staged by a worker of the version before.
    """
    scan, units, finishing = started(account)
    for unit in order(units):
        assert run(unit, finishing, batch_size=7) in ("done", "failed")
    if redeliver and units:
        assert run(units[0], finishing) == "skipped"
    assert finishing == [scan.pk], "exactly the last unit to report queues the finishing task"
    if unprepared:
        StagedRecord.objects.filter(scan=scan).update(prepared="")
    finished = spread.finish(scan.pk)
    assert spread.finish(scan.pk).state == finished.state, "a second delivery changes nothing"
    return finished


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


def unit_of(scan: Scan, service: str, region: str) -> ScanUnit:
    return ScanUnit.objects.get(scan=scan, service=service, region=region)


def lost(scan: Scan) -> list[tuple[str, str, str, str]]:
    """The scan's errors: service, region, kind, and whether its unit was never taken or went silent."""
    scan.refresh_from_db()
    return [(e["service"], e["region"], e["kind"], "never taken" if "never" in e["error"] else "") for e in scan.errors]


def test_a_stopped_queue_makes_the_scan_partial_naming_the_lost_units(account) -> None:
    scan, _, finishing = started(account)
    taken = unit_of(scan, "storage", "r1")
    queued = unit_of(scan, "storage", "r2")
    run(unit_of(scan, "iam", "global").pk, finishing)
    spread._take(taken.pk)  # a worker took it and died
    assert finishing == [] and spread.finish(scan.pk).state == "running", "two units have not reported"
    assert spread.reap_lost_units(stale_after=3600) == [], "a unit just taken, a queue just moving: left alone"
    age(hours=2)  # since then, no worker took or reported anything
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [scan.pk]
    assert lost(scan) == [("storage", "r1", "lost", ""), ("storage", "r2", "lost", "never taken")]
    assert scan.state == "partial", "never silently complete"
    assert scan.counts["units_failed"] == 2 and scan.counts["resources"] == 1
    assert set(Resource.objects.values_list("uid", flat=True)) == {"u-alice"}
    assert run(queued.pk, finishing) == "skipped", "the lost task, delivered at last, does nothing"
    assert StagedRecord.objects.count() == 0


def test_units_waiting_in_a_backed_up_queue_are_not_lost(account, estate) -> None:
    waiting, waiting_units, _ = started(account)
    age(hours=2)  # queued long ago; since then the workers have been busy with another scan's units
    other, other_units, finishing = started(new_account(estate, "other"))
    age(hours=1.5)
    run(other_units[0], finishing)  # taken and reported just now
    assert spread.reap_lost_units(stale_after=3600) == []
    assert set(ScanUnit.objects.filter(scan=waiting).values_list("state", flat=True)) == {"queued"}
    assert Scan.objects.get(pk=waiting.pk).state == "running"
    assert run(waiting_units[0], finishing) == "done", "its turn came: it runs as usual"
    age(hours=2)  # then the queue stopped: nothing taken or reported anywhere since
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [waiting.pk, other.pk]
    assert [(e[2], e[3]) for e in lost(waiting)] == [("lost", "never taken")] * 2
    assert [(e[2], e[3]) for e in lost(other)] == [("lost", "never taken")] * 2
    assert waiting.state == other.state == "partial"


def test_a_scan_just_started_keeps_its_queued_units(account) -> None:
    age(hours=2)  # nothing before, but a worker has just taken the scan's first task
    scan, *_ = started(account)
    assert spread.reap_lost_units(stale_after=3600) == []
    assert set(ScanUnit.objects.filter(scan=scan).values_list("state", flat=True)) == {"queued"}


def test_queued_units_wait_while_a_worker_stores_another_scan(account, estate) -> None:
    waiting, *_ = started(account)
    storing, units, finishing = started(new_account(estate, "storing"))
    for unit in units:
        run(unit, finishing)
    age(hours=2)
    Scan.objects.filter(pk=storing.pk).update(storing_at=timezone.now(), heartbeat_at=timezone.now())  # a worker at it
    assert spread.reap_lost_units(stale_after=3600) == []
    assert set(ScanUnit.objects.filter(scan=waiting).values_list("state", flat=True)) == {"queued"}
    age(hours=2)  # the storing worker not heard from since: taken for dead (as pipeline.reap_stale_scans does)
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [waiting.pk]
    assert [(e[2], e[3]) for e in lost(waiting)] == [("lost", "never taken")] * 3


def test_a_silent_running_unit_is_lost_though_its_siblings_reported_recently(account) -> None:
    scan, _, finishing = started(account)
    silent = unit_of(scan, "storage", "r1")
    attempt = spread._take(silent.pk)  # a worker took it and died
    staged.stage(silent, attempt, [ResourceRecord("testcloud", "storage", "testcloud.storage.bucket", "x", "x", "r1")])
    age(hours=2)
    run(unit_of(scan, "iam", "global").pk, finishing)  # the scan hears from its other units
    still = unit_of(scan, "storage", "r2")
    spread._take(still.pk)  # taken just now
    assert Scan.objects.get(pk=scan.pk).heartbeat_at > timezone.now() - timedelta(minutes=5)
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [], "one unit still runs: not finished here"
    assert [u.state for u in ScanUnit.objects.filter(scan=scan).order_by("id")] == ["done", "failed", "running"]
    assert unit_of(scan, "storage", "r1").error["kind"] == "lost"
    assert not StagedRecord.objects.filter(unit=silent).exists(), "what it staged is dropped"
    with commits():
        assert not spread.report(silent.pk, attempt, None, 1, finishing.append), "its worker comes back too late"
    assert run(still.pk, finishing) == "done" and finishing == [scan.pk], "the last to report finishes the scan"
    assert spread.finish(scan.pk).state == "partial"
    assert lost(scan) == [("storage", "r1", "lost", "")]
    assert set(Resource.objects.values_list("uid", flat=True)) == {"u-alice", "b-r2"}


def test_a_unit_heard_from_at_each_batch_is_left_alone_however_long_it_runs(account, monkeypatch) -> None:
    scan, _, finishing = started(account)
    reaps = []

    def stage_slowly(unit: ScanUnit, attempt: int, records: list[ResourceRecord]) -> None:
        reaps.append(spread.reap_lost_units(stale_after=3600))  # the sweep, between two batches
        staged.stage(unit, attempt, records)
        age(hours=2)  # each batch comes two hours after the one before

    monkeypatch.setattr(spread, "stage", stage_slowly)
    assert run(unit_of(scan, "storage", "r1").pk, finishing, batch_size=1) == "done"
    assert reaps == [[], []], "reaped at none of its two batches"
    assert sorted(ScanUnit.objects.filter(scan=scan).values_list("region", "state")) == [
        ("global", "queued"),
        ("r1", "done"),
        ("r2", "queued"),
    ], "a worker at work: the queued units are waiting, not lost"


def test_a_scan_whose_finishing_task_no_worker_took_is_finished_by_the_sweep(account) -> None:
    scan, units, finishing = started(account)
    for unit in units:
        run(unit, finishing)
    assert finishing == [scan.pk]  # ... and the broker lost it
    assert spread.reap_lost_units(stale_after=3600) == [], "its finishing task may just be waiting"
    age(hours=2)
    with commits():
        assert spread.reap_lost_units(stale_after=3600) == [scan.pk]
    scan.refresh_from_db()
    assert scan.state == "succeeded" and scan.errors == [], "nothing was lost"
    assert spread.finish(scan.pk).state == "succeeded", "the task, delivered at last, changes nothing"


def test_a_reaped_unit_whose_worker_comes_back_stops_and_counts_nothing(account, monkeypatch) -> None:
    scan, _, finishing = started(account)
    for unit in (unit_of(scan, "iam", "global"), unit_of(scan, "storage", "r2")):
        run(unit.pk, finishing)
    reaps = []

    def stage_then_stall(unit: ScanUnit, attempt: int, records: list[ResourceRecord]) -> None:
        staged.stage(unit, attempt, records)
        age(hours=2)  # the worker stalls after its first batch, long enough to be reaped
        with commits():
            reaps.append(spread.reap_lost_units(stale_after=3600))

    monkeypatch.setattr(spread, "stage", stage_then_stall)
    assert run(unit_of(scan, "storage", "r1").pk, finishing, batch_size=1) == "superseded"
    assert reaps == [[scan.pk]], "reaped once, at its first batch; its second batch found it superseded"
    assert lost(scan) == [("storage", "r1", "lost", "")] and scan.state == "partial"
    assert not Resource.objects.filter(uid__in=["b-public", "b-private"]).exists()
    assert StagedRecord.objects.count() == 0


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


@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_a_unit_while_the_sweep_holds_its_scan(account) -> None:
    """One lock order, the scan's row before its units': taking a unit never waits for the scan's row, which the
    sweep (or a report) holds while it waits for that unit's row; the other order would deadlock."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writes one transaction at a time)")
    scan, units, _ = started(account)
    holding, release = threading.Event(), threading.Event()

    def sweep_holding_the_scan() -> None:
        with transaction.atomic():
            Scan.objects.select_for_update().get(pk=scan.pk)
            holding.set()
            release.wait(10)
        connection.close()

    sweep = threading.Thread(target=sweep_holding_the_scan)
    sweep.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        assert spread._take(units[0]) == 1, "taken without waiting for the scan's row"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        release.set()
        sweep.join(10)
    assert ScanUnit.objects.get(pk=units[0]).state == "running"


@pytest.mark.django_db(transaction=True)
def test_the_sweep_locks_only_the_units_it_reaps(account) -> None:
    """A sibling being taken (its row locked) does not hold up the sweep reaping a silent unit of the same scan."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's (SQLite writes one transaction at a time)")
    scan, _, _ = started(account)
    silent, queued, fresh = (unit_of(scan, *key) for key in (("storage", "r1"), ("storage", "r2"), ("iam", "global")))
    spread._take(silent.pk)
    age(hours=2)
    spread._take(fresh.pk)  # the workers are at work
    holding, release = threading.Event(), threading.Event()

    def worker_taking_the_sibling() -> None:
        with transaction.atomic():
            ScanUnit.objects.select_for_update().get(pk=queued.pk)
            holding.set()
            release.wait(10)
        connection.close()

    taking = threading.Thread(target=worker_taking_the_sibling)
    taking.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        assert spread.reap_lost_units(stale_after=3600) == []
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        release.set()
        taking.join(10)
    states = dict(ScanUnit.objects.filter(scan=scan).values_list("region", "state"))
    assert states == {"r1": "failed", "r2": "queued", "global": "running"}


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
