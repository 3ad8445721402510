"""Run the registered rules over a scan's resource records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from collectors.failures import traceback_detail
from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import RULES, Rule, RuleRegistry
from posture.rules.verdicts import Evidence, Severity, Status, Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Result:
    rule_id: str
    resource_uid: str
    status: Status
    severity: Severity
    message: str
    evidence: tuple[Evidence, ...]


def evaluate(
    records: list[ResourceRecord], registry: RuleRegistry = RULES, ctx: RuleContext | None = None
) -> Iterator[Result]:
    """Every applicable rule over every record. A rule that raises gives an ERROR result.

    ``ctx`` is what the rules may read besides their own record: by default ``records`` themselves; a scan
    evaluated a batch at a time passes one over all of its records (``posture.scans.staged``).
    """
    ctx = RuleContext(records) if ctx is None else ctx
    rules_by_type = registry.for_types(ctx.types())
    for record in records:
        for r in rules_by_type.get(record.type, ()):
            result = judge(r, record, ctx)
            if result is not None:
                yield result


def judge(r: Rule, record: ResourceRecord, ctx: RuleContext) -> Result | None:
    """One rule over one record: its result (ERROR where the rule raised or answered junk), None where it does
    not apply. Only an ``Exception`` becomes an ERROR: what else the rule raises goes up."""
    try:
        verdict = r.fn(record, ctx)
    except Exception as exc:  # one broken rule or odd resource must not stop the scan
        verdict = Verdict(Status.ERROR, f"the rule could not evaluate this resource ({type(exc).__name__})")
        log.warning("rule %s failed on %s: %s", r.id, record.uid, type(exc).__name__)
        log.debug("rule %s failed on %s — detail: %s", r.id, record.uid, traceback_detail(exc))
    if verdict is None:
        return None
    if not isinstance(verdict, Verdict):
        verdict = Verdict(Status.ERROR, f"the rule returned {type(verdict).__name__}, not a Verdict")
    return Result(r.id, record.uid, verdict.status, r.severity, verdict.message, verdict.evidence)
