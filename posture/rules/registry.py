"""The rule registry: every rule with its metadata, keyed by a stable id.

A rule is a plain function over one resource::

    @rule(
        id="aws.s3.bucket_blocks_public_access",
        title="S3 bucket blocks public access",
        severity="high",
        category="exposure",
        resource_type="aws.s3.bucket",
        rationale="...",
        remediation="...",
    )
    def bucket_blocks_public_access(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
        ...

It returns one :class:`Verdict` for the resource (the evidence may name
several sub-objects), or ``None`` where the rule does not apply. Which framework
controls a rule evidences is said once, in the framework files; a rule's
``controls`` are read from there.

A rule that judges one field of the resource's config is data, not a function::

    field_rule(
        id="azure.aks.rbac_enabled",
        ...,                                  # the same metadata as @rule
        path="properties.enableRBAC",
        expect=True,                          # a value, or a predicate over the value
        ok="Kubernetes RBAC is enabled",      # "{value}" in a message is the value found
        bad="Kubernetes RBAC is disabled",
    )

Its verdict is PASS or FAIL with one piece of evidence: ``path`` and the value there.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.verdicts import Severity, Verdict, check, observed

RuleFn = Callable[[ResourceRecord, RuleContext], Verdict | None]
# what a field rule wants of its field: a value (True and False compare with ``is``, others with ``==``)
# or a predicate over whatever the field holds (None where absent)
Expectation = bool | int | str | Callable[[Any], bool]
# a verdict's message: a text in which "{value}" is the value found, or a function of that value
Message = str | Callable[[Any], str]
RULE_ID = re.compile(r"^[a-z0-9]+(\.[a-z0-9_]+){2,}$")
# Every rule's one category: a short list that reads the same across AWS, Azure, Google Cloud and clusters.
# "exposure" holds what makes a resource reachable from the internet (public storage, open firewalls,
# public endpoints and databases, exposed Services); the Internet exposure page is built from it.
CATEGORIES: dict[str, str] = {
    "exposure": "Exposure and public access",
    "identity": "Identity and access",
    "logging": "Logging and monitoring",
    "encryption": "Encryption and data protection",
    "network": "Network",
    "workload": "Workload hardening",
    "images": "Images and registries",
    "cluster": "Cluster control plane",
}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    severity: Severity
    category: str
    resource_type: str
    rationale: str
    remediation: str
    fn: RuleFn = field(repr=False, compare=False)
    references: tuple[str, ...] = ()
    module: str = ""  # the module that declares the rule

    @property
    def provider(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def service(self) -> str:
        return self.id.split(".")[1]

    def problems(self) -> list[str]:
        """What is wrong with this rule's metadata (empty when complete)."""
        found = []
        if not RULE_ID.match(self.id):
            found.append(f"id {self.id!r} is not of the form provider.service.name")
        for name in ("title", "rationale", "remediation", "resource_type"):
            if not str(getattr(self, name)).strip():
                found.append(f"{name} is empty")
        if self.category not in CATEGORIES:
            found.append(f"category {self.category!r} is not one of {', '.join(CATEGORIES)}")
        if not self.resource_type.startswith(self.provider + "."):
            found.append(f"resource_type {self.resource_type!r} is not a {self.provider} type")
        return found


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, rule: Rule) -> Rule:
        existing = self._rules.get(rule.id)
        if existing is not None and existing.fn is not rule.fn:
            raise ValueError(f"rule {rule.id} is registered twice")
        self._rules[rule.id] = rule
        return rule

    def remove(self, rule_id: str) -> None:
        self._rules.pop(rule_id, None)

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._rules)

    def for_types(self, types: Iterable[str]) -> dict[str, list[Rule]]:
        wanted = set(types)
        by_type: dict[str, list[Rule]] = {}
        for r in self:
            if r.resource_type in wanted:
                by_type.setdefault(r.resource_type, []).append(r)
        return by_type


RULES = RuleRegistry()


def rule(
    *,
    id: str,
    title: str,
    severity: str,
    category: str,
    resource_type: str,
    rationale: str,
    remediation: str,
    references: tuple[str, ...] = (),
    registry: RuleRegistry | None = None,
    module: str = "",
) -> Callable[[RuleFn], RuleFn]:
    """Register the decorated function as a rule (see the module docstring)."""

    def register(fn: RuleFn) -> RuleFn:
        (registry if registry is not None else RULES).add(
            Rule(
                id=id,
                title=title,
                severity=Severity(severity),
                category=category,
                resource_type=resource_type,
                rationale=rationale.strip(),
                remediation=remediation.strip(),
                fn=fn,
                references=tuple(references),
                module=module or fn.__module__,
            )
        )
        return fn

    return register


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """The function of a field rule: PASS when the value at ``path`` meets ``expect``, else FAIL."""

    path: str
    expect: Expectation
    ok: Message
    bad: Message

    def meets(self, value: Any) -> bool:
        if callable(self.expect):
            return bool(self.expect(value))
        if isinstance(self.expect, bool):
            return value is self.expect
        return bool(value == self.expect)

    def __call__(self, resource: ResourceRecord, ctx: RuleContext) -> Verdict:
        evidence = observed(resource.config, self.path)
        value = evidence.value
        return check(self.meets(value), _say(self.ok, value), _say(self.bad, value), evidence)


def _say(message: Message, value: Any) -> str:
    return message(value) if callable(message) else message.format(value=value)


def field_rule(
    *,
    id: str,
    title: str,
    severity: str,
    category: str,
    resource_type: str,
    path: str,
    expect: Expectation,
    ok: Message,
    bad: Message,
    rationale: str,
    remediation: str,
    references: tuple[str, ...] = (),
    registry: RuleRegistry | None = None,
) -> FieldCheck:
    """Register a rule that judges the one config field at ``path`` (see the module docstring)."""
    judge = FieldCheck(path=path, expect=expect, ok=ok, bad=bad)
    rule(
        id=id,
        title=title,
        severity=severity,
        category=category,
        resource_type=resource_type,
        rationale=rationale,
        remediation=remediation,
        references=references,
        registry=registry,
        module=sys._getframe(1).f_globals.get("__name__", ""),  # the caller's, as enum and NamedTuple do
    )(judge)
    return judge


def rules_in_category(category: str) -> frozenset[str]:
    """Ids of the registered rules of one category (empty for an unknown one)."""
    return frozenset(r.id for r in RULES if r.category == category)


def describe(r: Rule, controls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A rule's metadata as plain JSON."""
    return {
        "id": r.id,
        "title": r.title,
        "severity": str(r.severity),
        "category": r.category,
        "resource_type": r.resource_type,
        "rationale": r.rationale,
        "remediation": r.remediation,
        "references": list(r.references),
        "controls": controls or [],
    }
