"""The compliance scoring model: the one place a framework's score, statuses and counts are decided.

Every page, the API, the report, the trend and the command line read scores through
:mod:`posture.findings.compliance`, which calls :func:`score_controls` here; nothing else computes a score.

The model, per framework and scope (a set of accounts):

- An account is *in scope* when its latest finished scan has the framework's snapshot (the framework
  applies to its provider, or to its managed platform).
- A control is *evaluated* when at least one rule evidences it and produced a PASS or FAIL verdict in
  scope, whatever CIS's assessment label says. It *fails* if any unmuted finding of its rules fails in
  any account in scope, and *passes* otherwise.
- A control no verdict decided (no rule yet, only manual verdicts, nothing for its rules to look at, or
  only errors) *needs attestation*: an active attestation decides it instead. A failing attestation
  covering any account in scope fails it; passing attestations covering every account in scope pass it.
- Out-of-scope controls are listed, never scored, never attested.
- score = passed / (evaluated + attested) controls, attested passes counted as passes.
- failing resources = distinct resources failing at least one control of the framework (unmuted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from posture.rules.frameworks import Control, Framework

PASS, FAIL = "pass", "fail"
ATTESTED_PASS, ATTESTED_FAIL = "attested_pass", "attested_fail"
ERROR, NEEDS_ATTESTATION, NO_VERDICT, OUT_OF_SCOPE = "error", "needs_attestation", "not_evaluated", "out_of_scope"
# How a control's status reads, worst first: the order pages sort and summarize in.
STATUS_ORDER = (FAIL, ATTESTED_FAIL, ERROR, NEEDS_ATTESTATION, NO_VERDICT, PASS, ATTESTED_PASS, OUT_OF_SCOPE)
STATUS_LABELS = {
    PASS: "Pass",
    FAIL: "Fail",
    ATTESTED_PASS: "Attested pass",
    ATTESTED_FAIL: "Attested fail",
    ERROR: "Error",
    NEEDS_ATTESTATION: "Needs attestation",
    NO_VERDICT: "Nothing to evaluate",
    OUT_OF_SCOPE: "Out of scope",
}


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class AccountResult:
    """One account's latest scan for one framework: which controls its verdicts decided, and resources."""

    account_id: int
    team: str
    passed: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    resources_failed: int = 0
    resources_evaluated: int = 0


@dataclass(frozen=True)
class Attested:
    """An attestation as the model needs it: what it covers and what it says."""

    control_id: str
    result: str  # "pass" or "fail"
    account_id: int | None = None
    team: str = ""
    id: int = 0

    def covers(self, result: AccountResult) -> bool:
        if self.account_id is not None:
            return self.account_id == result.account_id
        if self.team:
            return self.team == result.team
        return True


@dataclass
class Score:
    """The headline numbers of one framework over one scope."""

    accounts: int = 0
    controls_passed: int = 0
    controls_failed: int = 0
    controls_attested: int = 0
    needs_attestation: int = 0
    resources_failed: int = 0
    resources_evaluated: int = 0
    statuses: dict[str, str] = field(default_factory=dict)
    attested_by: dict[str, list[int]] = field(default_factory=dict)

    @property
    def controls_scored(self) -> int:
        return self.controls_passed + self.controls_failed

    def as_dict(self) -> dict[str, Any]:
        resources_passed = self.resources_evaluated - self.resources_failed
        return {
            "accounts": self.accounts,
            "score": percent(self.controls_passed, self.controls_scored),
            "controls_passed": self.controls_passed,
            "controls_failed": self.controls_failed,
            "controls_evaluated": self.controls_scored,
            "controls_attested": self.controls_attested,
            "needs_attestation": self.needs_attestation,
            "resources_failed": self.resources_failed,
            "resources_passed": resources_passed,
            "resources_evaluated": self.resources_evaluated,
            "resource_pass_rate": percent(resources_passed, self.resources_evaluated),
        }


def _attested(control: Control, results: list[AccountResult], attestations: list[Attested]) -> tuple[str, list]:
    """ATTESTED_FAIL, ATTESTED_PASS or '' for a control no verdict decided, and the attestations that did."""
    mine = [a for a in attestations if a.control_id == control.id]
    failing = [a for a in mine if a.result == FAIL and any(a.covers(r) for r in results)]
    if failing:
        return ATTESTED_FAIL, [a.id for a in failing]
    passing = [a for a in mine if a.result == PASS and any(a.covers(r) for r in results)]
    if results and all(any(a.covers(r) for a in passing) for r in results):
        return ATTESTED_PASS, [a.id for a in passing]
    return "", []


def unattested_status(control: Control, errored: bool, manual_verdicts: bool) -> str:
    """What a control no verdict and no attestation decided reads as: its rules failed to read (error), found
    nothing to look at (no verdict), or there are none or they ask for a person's review (needs attestation)."""
    if errored:
        return ERROR
    if control.rules and not manual_verdicts:
        return NO_VERDICT
    return NEEDS_ATTESTATION


def score_controls(
    fw: Framework,
    results: Iterable[AccountResult],
    attestations: Iterable[Attested] = (),
    errored: frozenset[str] = frozenset(),
    manual_only: frozenset[str] = frozenset(),
) -> Score:
    """The score of ``fw`` over the accounts' results and the attestations active at the same moment.

    ``errored`` and ``manual_only`` name controls whose rules gave only errors or only manual verdicts
    (for the status shown; neither changes the score).
    """
    results = list(results)
    attestations = list(attestations)
    failed = frozenset().union(*(r.failed for r in results)) if results else frozenset()
    passed = (frozenset().union(*(r.passed for r in results)) if results else frozenset()) - failed
    out = Score(
        accounts=len(results),
        resources_failed=sum(r.resources_failed for r in results),
        resources_evaluated=sum(r.resources_evaluated for r in results),
    )
    for control in fw.controls:
        status = _status(control, results, attestations, passed, failed, errored, manual_only, out)
        out.statuses[control.id] = status
        if status in (PASS, ATTESTED_PASS):
            out.controls_passed += 1
        elif status in (FAIL, ATTESTED_FAIL):
            out.controls_failed += 1
        if status in (ATTESTED_PASS, ATTESTED_FAIL):
            out.controls_attested += 1
        elif status == NEEDS_ATTESTATION:
            out.needs_attestation += 1
    return out


def _status(
    control: Control,
    results: list[AccountResult],
    attestations: list[Attested],
    passed: frozenset[str],
    failed: frozenset[str],
    errored: frozenset[str],
    manual_only: frozenset[str],
    out: Score,
) -> str:
    if not control.in_scope:
        return OUT_OF_SCOPE
    if control.id in failed:
        return FAIL
    if control.id in passed:
        return PASS
    status, ids = _attested(control, results, attestations)
    if status:
        out.attested_by[control.id] = ids
        return status
    return unattested_status(control, control.id in errored, control.id in manual_only)


def active(attestations: Iterable[Any], at: datetime) -> list[Attested]:
    """The attestations (model rows) in force at ``at``, as the model reads them."""
    return [
        Attested(a.control_id, a.result, a.account_id, a.team, a.pk)
        for a in attestations
        if a.created_at <= at
        and (a.expires_at is None or a.expires_at > at)
        and (a.revoked_at is None or a.revoked_at > at)
    ]


def per_control_sets(statuses: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The control ids a scan's verdicts passed and failed (what :class:`AccountResult` is built from)."""
    return (
        sorted(c for c, s in statuses.items() if s == PASS),
        sorted(c for c, s in statuses.items() if s == FAIL),
    )
