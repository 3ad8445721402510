"""A small SARIF 2.1.0 writer for manifest findings (GitHub code scanning, GitLab, Azure DevOps read it)."""

from __future__ import annotations

import json
from typing import Any

from posture.rules.packs.kubernetes.manifest_scan import ManifestReport
from posture.rules.registry import RULES
from posture.rules.verdicts import Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


def _rule_descriptor(rule_id: str) -> dict[str, Any]:
    r = RULES.get(rule_id)
    return {
        "id": r.id,
        "name": r.id.rsplit(".", 1)[-1],
        "shortDescription": {"text": r.title},
        "fullDescription": {"text": r.rationale},
        "help": {"text": r.remediation},
        "defaultConfiguration": {"level": LEVEL[r.severity]},
        "properties": {"security-severity": SECURITY_SEVERITY[r.severity], "tags": ["security", r.category]},
    }


def as_sarif(report: ManifestReport, tool_version: str = "1.0") -> str:
    """FAIL and ERROR results as SARIF results; unreadable documents as tool execution notifications."""
    failures = report.failures
    rule_ids = sorted({r.rule_id for r in failures})
    index = {rule_id: n for n, rule_id in enumerate(rule_ids)}
    results = []
    for r in failures:
        loc = report.locations.get(r.resource_uid)
        physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path if loc else "unknown"}}
        if loc and loc.line:
            physical["region"] = {"startLine": loc.line}
        results.append(
            {
                "ruleId": r.rule_id,
                "ruleIndex": index[r.rule_id],
                "level": LEVEL[r.severity],
                "message": {"text": f"{r.resource_uid}: {r.message}"},
                "locations": [
                    {"physicalLocation": physical, "logicalLocations": [{"name": r.resource_uid, "kind": "resource"}]}
                ],
                "partialFingerprints": {"postureResource/v1": f"{r.rule_id}|{r.resource_uid}"},
                "properties": {"evidence": [e.as_dict() for e in r.evidence], "status": str(r.status)},
            }
        )
    notifications = [
        {
            "level": "error",
            "message": {"text": str(e)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": e.location.path},
                        **({"region": {"startLine": e.location.line}} if e.location.line else {}),
                    }
                }
            ],
        }
        for e in report.errors
    ]
    run = {
        "tool": {
            "driver": {
                "name": "Posture",
                "version": tool_version,
                "rules": [_rule_descriptor(rule_id) for rule_id in rule_ids],
            }
        },
        "invocations": [{"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}],
        "results": results,
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2, default=str)
