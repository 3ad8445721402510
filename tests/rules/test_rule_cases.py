"""Every rule's cases (tests/rules/cases/**/*.yaml): a resource, the expected status, the evidence.

A case::

    - rule: aws.s3.bucket_blocks_public_access
      name: all four settings on
      expect: PASS                      # PASS, FAIL, ERROR, MANUAL, or SKIP (the rule does not apply)
      evidence: {PublicAccessBlockConfiguration.BlockPublicAcls: true}   # optional: path -> value
      resource: {type: aws.s3.bucket, uid: "arn:aws:s3:::b", region: us-east-1, config: {...}}
      context:                          # optional: the account's other records the rule may read
        - {type: aws.s3.account, uid: "123456789012", config: {...}}
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from collectors.records import ResourceRecord
from posture.rules.evaluate import evaluate
from posture.rules.registry import RULES, RuleRegistry

CASES_DIR = Path(__file__).parent / "cases"


def load_cases() -> list[dict[str, Any]]:
    cases = []
    for path in sorted(CASES_DIR.rglob("*.yaml")):
        for n, case in enumerate(yaml.safe_load(path.read_text()) or []):
            case["_where"] = f"{path.relative_to(CASES_DIR)}#{n + 1}"
            cases.append(case)
    return cases


CASES = load_cases()


def record(raw: dict[str, Any]) -> ResourceRecord:
    provider, service = raw["type"].split(".")[:2]
    return ResourceRecord(
        provider=provider,
        service=service,
        type=raw["type"],
        uid=raw["uid"],
        name=raw.get("name", raw["uid"]),
        region=raw.get("region", "global"),
        tags=raw.get("tags", {}),
        config=raw.get("config", {}),
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c['rule']}:{c['name']}" for c in CASES])
def test_rule_case(case: dict[str, Any]) -> None:
    assert case["rule"] in RULES, f"{case['_where']}: no rule {case['rule']}"
    only = RuleRegistry()
    only.add(RULES.get(case["rule"]))
    target = record(case["resource"])
    records = [target, *(record(r) for r in case.get("context", []))]
    results = [r for r in evaluate(records, only) if r.resource_uid == target.uid]
    if case["expect"] == "SKIP":
        assert results == [], f"{case['_where']}: expected the rule not to apply"
        return
    assert len(results) == 1, f"{case['_where']}: expected one result, got {results}"
    result = results[0]
    assert result.status == case["expect"], f"{case['_where']}: {result.status} ({result.message})"
    assert result.message, f"{case['_where']}: a verdict needs a message"
    observed = {e.path: e.value for e in result.evidence}
    for path, value in (case.get("evidence") or {}).items():
        assert path in observed, f"{case['_where']}: no evidence at {path}; evidence: {observed}"
        assert observed[path] == value, f"{case['_where']}: evidence {path} = {observed[path]!r}, expected {value!r}"


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for case in CASES:
        seen[case["rule"]].add(case["expect"])
    missing = [f"{r.id}: {sorted({'PASS', 'FAIL'} - seen[r.id])}" for r in RULES if not {"PASS", "FAIL"} <= seen[r.id]]
    assert not missing, "rules without a passing and a failing case:\n" + "\n".join(missing)


def test_every_case_names_a_registered_rule() -> None:
    unknown = sorted({c["_where"] + " " + c["rule"] for c in CASES if c["rule"] not in RULES})
    assert not unknown, unknown
