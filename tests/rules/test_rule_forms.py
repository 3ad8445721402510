"""The one way to declare a rule that judges one field (field_rule), and the packs held to it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import RULES, Expectation, FieldCheck, RuleRegistry, field_rule
from posture.rules.verdicts import Evidence, Status, unreadable

RULES_DIR = Path(__file__).parents[2] / "posture" / "rules"
PACKS = RULES_DIR / "packs"


def bucket(config: dict[str, object]) -> ResourceRecord:
    return ResourceRecord(
        provider="testcloud", service="storage", type="testcloud.storage.bucket", uid="b", name="b", config=config
    )


def judge(check: FieldCheck, config: dict[str, object]) -> tuple[Status, str, tuple[Evidence, ...]]:
    verdict = check(bucket(config), RuleContext([]))
    return verdict.status, verdict.message, verdict.evidence


def test_a_field_rule_is_registered_with_its_metadata_and_module() -> None:
    registry = RuleRegistry()
    check = field_rule(
        id="testcloud.storage.versioning_on",
        title="Bucket versioning is on",
        severity="low",
        category="encryption",
        resource_type="testcloud.storage.bucket",
        path="versioning.enabled",
        expect=True,
        ok="versioning is on",
        bad="versioning is off",
        rationale="  Old versions survive a bad write.  ",
        remediation="Turn versioning on.",
        registry=registry,
    )
    registered = registry.get("testcloud.storage.versioning_on")
    assert registered.fn is check and registered.rationale == "Old versions survive a bad write."
    assert registered.module == __name__
    assert judge(check, {"versioning": {"enabled": True}}) == (
        Status.PASS,
        "versioning is on",
        (Evidence("versioning.enabled", True),),
    )


@pytest.mark.parametrize(
    ("expect", "value", "status"),
    [
        (True, True, Status.PASS),
        (True, 1, Status.FAIL),  # True and False compare by identity: 1 is not True
        (False, None, Status.FAIL),  # absent is not False
        (False, False, Status.PASS),
        ("enforced", "enforced", Status.PASS),
        ("enforced", "inherited", Status.FAIL),
        (bool, ["a"], Status.PASS),
        (bool, [], Status.FAIL),
        (lambda v: v is not True, None, Status.PASS),
    ],
)
def test_expect_is_a_value_or_a_predicate(expect: Expectation, value: object, status: Status) -> None:
    check = FieldCheck(path="a.b", expect=expect, ok="ok", bad="bad")
    assert judge(check, {"a": {"b": value}})[0] == status


def test_messages_name_the_value_found_and_absent_fields_are_evidence_of_none() -> None:
    check = FieldCheck(path="tls.minimum", expect="1.2", ok="minimum {value}", bad=lambda v: f"accepts {v or 'any'}")
    assert judge(check, {"tls": {"minimum": "1.2"}})[1] == "minimum 1.2"
    assert judge(check, {}) == (Status.FAIL, "accepts any", (Evidence("tls.minimum", None),))


def test_unreadable_is_an_error_naming_what_could_not_be_read() -> None:
    assert unreadable(bucket({"policy": None}), "policy") is None
    verdict = unreadable(bucket({"_errors": {"policy": "AccessDenied"}}), "policy", "the bucket policy")
    assert verdict is not None and verdict.status == Status.ERROR
    assert verdict.message == "the bucket policy could not be read: AccessDenied"
    assert verdict.evidence == (Evidence("_errors.policy", "AccessDenied"),)


def _rule_functions(tree: ast.AST) -> list[ast.FunctionDef]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "rule" for d in node.decorator_list)
    ]


def _path_read(node: ast.AST) -> str | None:
    """The constant path of ``observed(x, "a.b")`` / ``lookup(x, "a.b")``, else None."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("observed", "lookup") and len(node.args) >= 2:
        path = node.args[1]
        return path.value if isinstance(path, ast.Constant) and isinstance(path.value, str) else "?"
    return None


def judges_one_field(fn: ast.FunctionDef) -> bool:
    """A body that is only assignments and ``return check(..., <one observed field>)``, reading no other path."""
    body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    *prelude, last = body
    assigns = [s for s in prelude if isinstance(s, ast.Assign)]
    if len(assigns) != len(prelude):
        return False
    returned = last.value if isinstance(last, ast.Return) else None
    if not (isinstance(returned, ast.Call) and getattr(returned.func, "id", "") == "check"):
        return False
    if len(returned.args) != 4:
        return False
    evidence = returned.args[3]
    if isinstance(evidence, ast.Name):
        bound = [s.value for s in assigns if any(getattr(t, "id", None) == evidence.id for t in s.targets)]
        evidence = bound[-1] if bound else evidence
    is_observed = isinstance(evidence, ast.Call) and getattr(evidence.func, "id", "") == "observed"
    field = _path_read(evidence) if is_observed else None
    # every path the function reads is that one field ("?" for a path it computes)
    return field is not None and {_path_read(node) for node in ast.walk(fn)} - {None} == {field}


def test_a_rule_that_judges_one_field_is_a_field_rule() -> None:
    offenders = [
        f"{path.relative_to(RULES_DIR)}:{fn.lineno} {fn.name}"
        for path in sorted(PACKS.rglob("*.py"))
        for fn in _rule_functions(ast.parse(path.read_text()))
        if judges_one_field(fn)
    ]
    assert not offenders, "declare these with field_rule(path=..., expect=..., ok=..., bad=...):\n" + "\n".join(
        offenders
    )


def test_the_lint_sees_a_one_field_function() -> None:
    source = """
@rule(id="x.y.z")
def tls_on(resource, ctx):
    value = resource.config.get("tls")
    return check(value is True, "on", "off", observed(resource.config, "tls"))

@rule(id="x.y.w")
def two_fields(resource, ctx):
    return check(lookup(resource.config, "a") and lookup(resource.config, "b"), "on", "off",
                 observed(resource.config, "a"))
"""
    found = {fn.name: judges_one_field(fn) for fn in _rule_functions(ast.parse(source))}
    assert found == {"tls_on": True, "two_fields": False}


def test_every_field_rule_names_its_field() -> None:
    checks = [(r.module, r.fn) for r in RULES if isinstance(r.fn, FieldCheck)]
    assert len(checks) > 50
    assert all(module.startswith("posture.rules.packs.") and fn.path for module, fn in checks)


def test_the_rules_package_has_no_import_cycle() -> None:
    """posture.rules modules import one another in one direction only (RuleContext has its own module)."""
    modules = {
        ".".join(path.relative_to(RULES_DIR.parents[1]).with_suffix("").parts).removesuffix(".__init__"): path
        for path in RULES_DIR.rglob("*.py")
    }
    imports: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        imports[name] = found & set(modules)

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in imports.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cycles = sorted(name for name in modules if reaches(name, name, {name}))
    assert not cycles, cycles
