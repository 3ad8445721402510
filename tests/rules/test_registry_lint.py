"""The whole rule registry and framework catalog, checked the way CI should see them."""

from __future__ import annotations

from posture.rules.frameworks import catalog
from posture.rules.registry import RULES


def test_every_rule_has_complete_metadata() -> None:
    problems = [f"{r.id}: {p}" for r in RULES for p in r.problems()]
    assert not problems, "\n".join(problems)


def test_every_framework_reference_resolves() -> None:
    # catalog() raises listing every unknown rule id; a rule named by a framework must exist
    for fw in catalog():
        for control in fw.controls:
            for rule_id in control.rules:
                assert rule_id in RULES, f"{fw.id} {control.id} -> {rule_id}"


def test_every_framework_has_controls_and_unique_ids() -> None:
    for fw in catalog():
        ids = [c.id for c in fw.controls]
        assert ids, fw.id
        assert len(ids) == len(set(ids)), fw.id


def test_rule_ids_are_stable_and_typed() -> None:
    for r in RULES:
        assert r.resource_type.split(".")[0] == r.provider, r.id
