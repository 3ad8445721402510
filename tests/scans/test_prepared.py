"""A unit's preparation (posture/scans/prepared.py): the rules that read only their record, judged before storing.

Rules here are made up, each in a registry of its own, to cover what a rule may do: read the context, swallow
what it raised, raise, answer with evidence Python shows differently from JSON (tuples), or with values JSON
cannot hold. What the finishing step ends with must be what ``evaluate`` gives, in the same order.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.evaluate import evaluate
from posture.rules.registry import RuleRegistry, rule
from posture.rules.verdicts import Verdict, failed, passed
from posture.scans.prepared import prepare, read, results

TYPE = "aws.test.thing"


def registry_of(**rules: Any) -> RuleRegistry:
    registry = RuleRegistry()
    for name, fn in rules.items():
        rule(
            id=f"aws.test.{name}",
            title=name,
            severity="high",
            category="exposure",
            resource_type=TYPE,
            rationale="r",
            remediation="r",
            registry=registry,
        )(fn)
    return registry


def thing(uid: str, **config: Any) -> ResourceRecord:
    return ResourceRecord("aws", "test", TYPE, uid, uid, "r1", {}, config)


def own(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    ports = tuple(resource.config.get("ports", ()))
    return failed("open", ("ports", ports), ("shape", {"a": [1, (2, 3)], "b": None})) if ports else passed("shut")


def not_applicable(resource: ResourceRecord, ctx: RuleContext) -> None:
    return None


def broken(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    raise KeyError("nope")


def reads_context(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    others = [r.uid for r in ctx.resources(TYPE) if r.uid != resource.uid]
    return passed(f"{len(others)} others", ("others", others))


def swallows(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    try:
        seen = len(ctx.resources(TYPE))
    except BaseException:  # a rule that takes everything: it still asked
        seen = -1
    return passed(f"saw {seen}")


def sometimes_asks(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    if resource.config.get("ask"):
        return passed(f"{len(ctx.types())} types")
    return passed("did not ask")


def odd_values(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    return passed("a set", ("set", {1, 2}))


def junk(resource: ResourceRecord, ctx: RuleContext) -> Any:
    return "PASS"


REGISTRY = registry_of(
    own=own,
    not_applicable=not_applicable,
    broken=broken,
    reads_context=reads_context,
    swallows=swallows,
    sometimes_asks=sometimes_asks,
    odd_values=odd_values,
    junk=junk,
)
RECORDS = [thing("a", ports=[22, 80]), thing("b"), thing("c", ask=True)]


def test_only_the_rules_that_read_their_own_record_exactly_are_prepared() -> None:
    prepared = {r.uid: json.loads(text) for r, text in zip(RECORDS, prepare(RECORDS, REGISTRY), strict=True)}
    judged = {uid: {v[0].removeprefix("aws.test.") for v in p["verdicts"]} for uid, p in prepared.items()}
    assert judged["a"] == {"own", "not_applicable", "broken", "sometimes_asks", "junk"}
    assert judged["c"] == {"own", "not_applicable", "broken", "junk"}, "asking depends on the record"
    assert prepared["a"]["hash"] == RECORDS[0].config_hash() and prepared["a"]["label"]


def test_the_finishing_step_ends_with_what_evaluate_gives() -> None:
    ready = [read(text, r.uid, REGISTRY) for r, text in zip(RECORDS, prepare(RECORDS, REGISTRY), strict=True)]
    ctx = RuleContext(RECORDS)
    ours = list(results(RECORDS, ready, ctx, REGISTRY))
    assert ours == list(evaluate(RECORDS, REGISTRY, ctx=RuleContext(RECORDS)))
    evidence = next(r.evidence for r in ours if r.rule_id == "aws.test.own" and r.resource_uid == "a")
    assert evidence[0].value == (22, 80) and type(evidence[1].value["a"][1]) is tuple, "tuples stay tuples"
    assert {r.status for r in ours} >= {"PASS", "FAIL", "ERROR"}


def test_a_prepared_verdict_is_taken_as_it_is_and_the_rest_judged_when_storing() -> None:
    text = json.loads(prepare([RECORDS[1]], REGISTRY)[0])
    text["verdicts"] = [v if v[0] != "aws.test.own" else [v[0], "FAIL", "as prepared", []] for v in text["verdicts"]]
    ready = read(json.dumps(text), "b", REGISTRY)
    messages = {r.rule_id: r.message for r in results([RECORDS[1]], [ready], RuleContext(RECORDS), REGISTRY)}
    assert messages["aws.test.own"] == "as prepared"
    assert messages["aws.test.reads_context"] == "2 others", "a context rule ran against the whole context"


def test_nothing_or_junk_prepared_is_judged_whole() -> None:
    for text in (
        "",
        "{",
        '{"hash": "x"}',
        '{"hash": "x", "label": "", "verdicts": [["aws.test.own", "MAYBE", "", []]]}',
    ):
        assert read(text, "a", REGISTRY) is None
    ctx = RuleContext(RECORDS)
    assert list(results(RECORDS, [None] * 3, ctx, REGISTRY)) == list(evaluate(RECORDS, REGISTRY, ctx=ctx))


def test_a_workload_running_an_image_is_left_to_the_finishing_step() -> None:
    digest = "sha256:" + "c" * 64
    pods = [{"name": "p", "containers": [{"name": "app", "image": "x:1", "imageID": f"x@{digest}"}]}]
    config = {"kind": "Deployment", "metadata": {"name": "w", "namespace": "n"}, "_pods": pods}
    workload = ResourceRecord(
        "kubernetes", "workloads", "kubernetes.workloads.workload", "n/Deployment/w", "w", "", {}, config
    )
    idle = ResourceRecord("kubernetes", "workloads", workload.type, "n/Deployment/v", "v", "", {}, {})
    assert [bool(text) for text in prepare([workload, idle])] == [False, True]


def test_evidence_nested_too_deep_for_json_leaves_the_rule_to_the_finishing_step() -> None:
    def deep(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
        value: list[Any] = []
        for _ in range(5000):
            value = [value]
        return passed("deep", ("deep", value))

    registry = registry_of(deep=deep, own=own)
    (text,) = prepare([RECORDS[0]], registry)
    assert [v[0] for v in json.loads(text)["verdicts"]] == ["aws.test.own"]
