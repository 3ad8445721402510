"""Fan-out collection: bounded, fault-isolated, progress and cancellation from the calling thread."""

from __future__ import annotations

import threading
import time

from collectors.records import ResourceRecord, Target
from collectors.registry import BaseProvider, Registry
from collectors.run import collect, plan, stream_unit
from posture.rules.evaluate import evaluate
from posture.rules.registry import RuleRegistry, rule
from posture.rules.verdicts import passed


class Provider(BaseProvider):
    name = "unit"

    def list_regions(self, session, target):
        return ["a", "b", "c"]


def record(uid: str, region: str = "a") -> ResourceRecord:
    return ResourceRecord("unit", "svc", "unit.svc.thing", uid, uid, region)


def make_registry(fn, regional: bool = True) -> Registry:
    registry = Registry()
    registry.add_provider(Provider())
    registry.collector("unit", "svc", regional=regional)(fn)
    return registry


def test_plan_runs_regional_collectors_per_region_and_global_ones_once() -> None:
    registry = make_registry(lambda s, r: [])
    registry.collector("unit", "iam", regional=False)(lambda s, r: [])
    units = plan(Provider(), None, Target("unit", "t"), registry)
    assert sorted((u.service, u.region) for u in units) == [("iam", "global"), ("svc", "a"), ("svc", "b"), ("svc", "c")]


def test_a_failing_unit_keeps_what_it_collected_and_the_others_go_on() -> None:
    def fn(session, region):
        yield record(f"{region}-1", region)
        if region == "b":
            raise TimeoutError("region b timed out")
        yield record(f"{region}-2", region)

    registry = make_registry(fn)
    units = plan(Provider(), None, Target("unit", "t"), registry)
    result = collect(Provider(), None, units, concurrency=2)
    assert sorted(r.uid for r in result.records) == ["a-1", "a-2", "b-1", "c-1", "c-2"]
    assert [e.as_dict() for e in result.errors] == [
        {"service": "svc", "region": "b", "kind": "timeout", "error": "the call timed out (TimeoutError)"}
    ]


def test_junk_from_a_collector_is_an_invalid_response() -> None:
    registry = make_registry(lambda s, r: [{"not": "a record"}])
    result = collect(Provider(), None, plan(Provider(), None, Target("unit", "t"), registry))
    assert {e.kind for e in result.errors} == {"invalid_response"}


def test_concurrency_is_bounded_and_progress_is_reported() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def fn(session, region):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return [record(region, region)]

    class Many(Provider):
        def list_regions(self, session, target):
            return [f"r{n}" for n in range(8)]

    registry = make_registry(fn)
    progress = []
    callers = set()

    def on_progress(done, total):
        progress.append((done, total))
        callers.add(threading.get_ident())

    units = plan(Many(), None, Target("unit", "t"), registry)
    result = collect(Many(), None, units, concurrency=3, on_progress=on_progress)
    assert len(result.records) == 8 and peak <= 3
    assert progress[-1] == (8, 8) and callers == {threading.get_ident()}


def test_cancellation_stops_submitting_units() -> None:
    calls = []

    class Many(Provider):
        def list_regions(self, session, target):
            return [f"r{n}" for n in range(20)]

    registry = make_registry(lambda s, r: calls.append(r) or [])
    units = plan(Many(), None, Target("unit", "t"), registry)
    result = collect(Many(), None, units, concurrency=1, cancelled=lambda: len(calls) >= 3)
    assert result.cancelled and len(calls) < 20


def test_a_rule_that_raises_gives_an_error_verdict_not_a_crash() -> None:
    registry = RuleRegistry()

    @rule(
        id="unit.svc.broken",
        title="t",
        severity="low",
        category="exposure",
        resource_type="unit.svc.thing",
        rationale="r",
        remediation="m",
        registry=registry,
    )
    def broken(resource, ctx):
        return resource.config["missing"]

    @rule(
        id="unit.svc.fine",
        title="t",
        severity="low",
        category="exposure",
        resource_type="unit.svc.thing",
        rationale="r",
        remediation="m",
        registry=registry,
    )
    def fine(resource, ctx):
        return passed("ok")

    results = {r.rule_id: r for r in evaluate([record("x")], registry)}
    assert results["unit.svc.broken"].status == "ERROR" and "KeyError" in results["unit.svc.broken"].message
    assert results["unit.svc.fine"].status == "PASS"


def test_a_hanging_unit_times_out_and_the_rest_is_kept() -> None:
    release = threading.Event()

    def fn(session, region):
        if region == "b":
            release.wait(10)  # hangs until the test ends
        return [record(region, region)]

    registry = make_registry(fn)
    units = plan(Provider(), None, Target("unit", "t"), registry)
    started = time.monotonic()
    result = collect(Provider(), None, units, concurrency=3, unit_timeout=0.3)
    release.set()
    assert time.monotonic() - started < 3
    assert sorted(r.uid for r in result.records) == ["a", "c"]
    assert [(e.region, e.kind) for e in result.errors] == [("b", "timeout")]


def test_records_come_in_plan_order_whatever_order_the_units_finish_in_each_uid_once() -> None:
    def fn(session, region):
        if region == "a":
            time.sleep(0.05)  # finishes last
        yield record(f"{region}-1", region)
        yield record("shared", region)

    units = plan(Provider(), None, Target("unit", "t"), make_registry(fn))
    result = collect(Provider(), None, units, concurrency=3)
    assert [(r.uid, r.region) for r in result.records] == [("a-1", "a"), ("b-1", "b"), ("c-1", "c"), ("shared", "c")]


def test_one_unit_streams_its_records_in_batches_and_keeps_them_when_it_fails() -> None:
    def fn(session, region):
        yield from (record(f"r-{n}") for n in range(5))
        raise TimeoutError("gone")

    (unit,) = plan(Provider(), None, Target("unit", "t"), make_registry(fn, regional=False))
    batches: list[list[str]] = []
    error = stream_unit(Provider(), None, unit, lambda b: batches.append([r.uid for r in b]), batch_size=2)
    assert batches == [["r-0", "r-1"], ["r-2", "r-3"], ["r-4"]]
    assert error is not None and (error.kind, error.region) == ("timeout", "global")


def test_a_streamed_unit_that_stops_answering_times_out_and_its_thread_is_let_go() -> None:
    release = threading.Event()

    def fn(session, region):
        yield record("first")
        release.wait(5)
        yield record("late")

    (unit,) = plan(Provider(), None, Target("unit", "t"), make_registry(fn, regional=False))
    batches: list[list[str]] = []
    error = stream_unit(Provider(), None, unit, lambda b: batches.append([r.uid for r in b]), unit_timeout=0.2)
    release.set()
    assert batches == [["first"]] and error is not None and error.kind == "timeout"


def test_account_wide_units_start_first_and_the_records_keep_the_plan_order() -> None:
    started = []

    def fn(session, region):
        started.append(region)
        yield record(f"{region}-1", region)

    registry = make_registry(fn)
    registry.collector("unit", "zz-last-planned", regional=False)(fn)
    units = plan(Provider(), None, Target("unit", "t"), registry)
    assert [u.region for u in units] == ["a", "b", "c", "global"]
    result = collect(Provider(), None, units, concurrency=1)
    assert started == ["global", "a", "b", "c"]
    assert [r.uid for r in result.records] == ["a-1", "b-1", "c-1", "global-1"]
