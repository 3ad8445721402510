"""Findings as plain rows for the command line and the API: JSON or CSV, streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from posture.findings.models import Finding
from posture.rules.frameworks import Catalog, FrameworkError, catalog
from posture.rules.registry import RULES

CSV_COLUMNS = [
    "rule",
    "title",
    "status",
    "severity",
    "account",
    "resource_uid",
    "resource_name",
    "resource_type",
    "region",
    "message",
    "evidence",
    "controls",
    "first_seen",
    "last_seen",
    "muted",
]


class ExportInputError(ValueError):
    pass


def select_findings(
    *, account: str | None = None, status: str | None = None, framework: str | None = None
) -> QuerySet[Finding]:
    qs = Finding.objects.select_related("account", "resource").order_by("id")
    if account:
        qs = qs.filter(account__name=account)
    if status:
        wanted = status.upper()
        if wanted not in {"PASS", "FAIL", "ERROR", "MANUAL"}:
            raise ExportInputError(f"--status {status!r} must be PASS, FAIL, ERROR or MANUAL")
        qs = qs.filter(status=wanted)
    if framework:
        try:
            fw = catalog().get(framework)
        except FrameworkError as exc:
            raise ExportInputError(str(exc)) from None
        qs = qs.filter(rule_id__in={r for c in fw.controls for r in c.rules})
    return qs


def finding_row(f: Finding, frameworks: Catalog) -> dict[str, Any]:
    rule = RULES.get(f.rule_id) if f.rule_id in RULES else None
    return {
        "rule": f.rule_id,
        "title": rule.title if rule else f.rule_id,
        "status": f.status,
        "severity": f.severity,
        "account": f.account.name,
        "resource": {
            "uid": f.resource_uid,
            "name": f.resource.name,
            "type": f.resource.type,
            "region": f.resource.region,
        },
        "message": f.message,
        "evidence": f.evidence,
        "controls": [{"framework": fw, "control": c} for fw, c in frameworks.controls_for_rule(f.rule_id)],
        "first_seen": f.first_seen.isoformat(),
        "last_seen": f.last_seen.isoformat(),
        "muted": f.muted,
    }


def rows(findings: QuerySet[Finding]) -> Iterator[dict[str, Any]]:
    frameworks = catalog()
    for f in findings.iterator(chunk_size=2000):
        yield finding_row(f, frameworks)


def json_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one element at a time (flat memory)."""
    yield "["
    for n, item in enumerate(items):
        yield ("," if n else "") + "\n  " + json.dumps(item, default=str)
    yield "\n]\n"


def csv_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        resource = item["resource"]
        writer.writerow(
            [
                item["rule"],
                item["title"],
                item["status"],
                item["severity"],
                item["account"],
                resource["uid"],
                resource["name"],
                resource["type"],
                resource["region"],
                item["message"],
                json.dumps(item["evidence"], default=str),
                ";".join(f"{c['framework']}:{c['control']}" for c in item["controls"]),
                item["first_seen"],
                item["last_seen"],
                item["muted"],
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()
