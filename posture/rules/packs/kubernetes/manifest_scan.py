"""Shift-left: run the Kubernetes rules over manifests and report findings (text, JSON, SARIF). No Django."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectors.kubernetes.manifests import Location, ManifestError, load_manifests
from posture.rules.evaluate import Result, evaluate
from posture.rules.registry import RULES, RuleRegistry
from posture.rules.verdicts import SEVERITY_ORDER, Severity, Status

FORMATS = ("text", "json", "sarif")
FAIL_ON = (*(str(s) for s in Severity), "none")


@dataclass
class ManifestReport:
    results: list[Result] = field(default_factory=list)
    locations: dict[str, Location] = field(default_factory=dict)
    errors: list[ManifestError] = field(default_factory=list)
    documents: int = 0
    objects: int = 0
    skipped_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if r.status in (Status.FAIL, Status.ERROR)]

    def failing_at(self, threshold: str) -> list[Result]:
        """Failures at or above ``threshold`` (a severity, or ``none`` for never)."""
        if threshold == "none":
            return []
        limit = SEVERITY_ORDER[Severity(threshold)]
        return [r for r in self.failures if SEVERITY_ORDER[r.severity] <= limit]

    def exit_code(self, threshold: str) -> int:
        """0 clean; 1 failures at or above the threshold; 2 documents that could not be read."""
        if self.errors:
            return 2
        return 1 if self.failing_at(threshold) else 0


def scan_manifests(paths: Iterable[str | Path], registry: RuleRegistry = RULES) -> ManifestReport:
    """Load the manifests and evaluate every applicable Kubernetes rule on them."""
    loaded = load_manifests(paths)
    kubernetes_rules = RuleRegistry()
    for r in registry:
        if r.provider == "kubernetes":
            kubernetes_rules.add(r)
    results = list(evaluate(loaded.records, kubernetes_rules))
    order = {uid: n for n, uid in enumerate(loaded.locations)}
    results.sort(key=lambda r: (order.get(r.resource_uid, 0), SEVERITY_ORDER[r.severity], r.rule_id))
    return ManifestReport(
        results, loaded.locations, loaded.errors, loaded.documents, len(loaded.records), loaded.skipped_kinds
    )


def summary(report: ManifestReport) -> str:
    counts = Counter(str(r.status) for r in report.results)
    by_severity = Counter(str(r.severity) for r in report.failures)
    severities = ", ".join(f"{by_severity[str(s)]} {s}" for s in Severity if by_severity[str(s)])
    return (
        f"{report.documents} documents, {report.objects} objects checked, {counts['PASS']} passed, "
        f"{len(report.failures)} failed" + (f" ({severities})" if severities else "") + f", {len(report.errors)} errors"
    )


def as_text(report: ManifestReport, show_passed: bool = False) -> str:
    lines = [f"ERROR {e}" for e in report.errors]
    for r in report.results:
        if r.status == Status.PASS and not show_passed:
            continue
        where = report.locations.get(r.resource_uid)
        lines.append(f"{r.status:<5} {r.severity:<8} {r.rule_id}  {r.resource_uid}  [{where}]")
        lines.append(f"      {r.message}")
        for e in r.evidence:
            if r.status != Status.PASS:
                lines.append(f"      {e.path} = {json.dumps(e.value, default=str)}")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def as_json(report: ManifestReport) -> str:
    def location(uid: str) -> dict[str, Any] | None:
        loc = report.locations.get(uid)
        return (
            None
            if loc is None
            else {
                "file": loc.path,
                "document": loc.document,
                "line": loc.line,
                "item": loc.item,
                "helm_source": loc.helm_source or None,
            }
        )

    return json.dumps(
        {
            "summary": summary(report),
            "errors": [
                {
                    "file": e.location.path,
                    "document": e.location.document,
                    "line": e.location.line,
                    "item": e.location.item,
                    "error": e.error,
                }
                for e in report.errors
            ],
            "results": [
                {
                    "rule": r.rule_id,
                    "title": RULES.get(r.rule_id).title if r.rule_id in RULES else r.rule_id,
                    "status": str(r.status),
                    "severity": str(r.severity),
                    "resource": r.resource_uid,
                    "location": location(r.resource_uid),
                    "message": r.message,
                    "evidence": [e.as_dict() for e in r.evidence],
                }
                for r in report.results
            ],
        },
        indent=2,
        default=str,
    )
