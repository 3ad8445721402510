"""Findings as plain rows for the command line and the API: JSON or CSV, streamed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import CharField, Func, QuerySet, TextField
from django.db.models.functions import Cast

from posture.findings.models import Finding
from posture.images.export import ocsf_fields, sarif_fields
from posture.rules.frameworks import catalog
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


class IsoTimestamp(Func):
    """A timestamp column as the text ``datetime.isoformat()`` writes in UTC, made by the database.

    An export of a million findings otherwise parses two million timestamps only to format them again;
    the database does it on its own core while this process writes the file.
    """

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        utc = "(%(expressions)s AT TIME ZONE 'UTC')"
        template = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            f" || CASE WHEN date_trunc('second', {utc}) = {utc} THEN '' ELSE to_char({utc}, '.US') END"
            " || '+00:00'"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Stored as str(naive UTC datetime): isoformat() with a space for the T.
        return self.as_sql(compiler, connection, template="replace(%(expressions)s, ' ', 'T') || '+00:00'", **extra)


EXPORT_FIELDS = (
    "rule_id",
    "status",
    "severity",
    "account__name",
    "resource_uid",
    "resource__name",
    "resource__type",
    "resource__region",
    "message",
    "evidence",
    "first_seen_iso",
    "last_seen_iso",
    "muted",
)


def rows(findings: QuerySet[Finding], *, evidence_as_text: bool = False) -> Iterator[dict[str, Any]]:
    """Plain dicts, read as tuples in chunks (no model instances): flat memory at any size.

    Timestamps come as ISO 8601 text; ``evidence_as_text`` leaves the evidence as the JSON text the
    database holds (for CSV, which writes it as text anyway) instead of decoding it.
    """
    frameworks = catalog()
    titles = {r.id: r.title for r in RULES}
    controls: dict[str, list[dict[str, str]]] = {}
    findings = findings.annotate(first_seen_iso=IsoTimestamp("first_seen"), last_seen_iso=IsoTimestamp("last_seen"))
    if evidence_as_text:
        findings = findings.annotate(evidence_text=Cast("evidence", TextField()))
    fields = [("evidence_text" if f == "evidence" and evidence_as_text else f) for f in EXPORT_FIELDS]
    for (
        rule_id,
        status,
        severity,
        account,
        uid,
        name,
        type_,
        region,
        message,
        evidence,
        first,
        last,
        muted,
    ) in findings.values_list(*fields).iterator(chunk_size=5000):
        if rule_id not in controls:
            controls[rule_id] = [{"framework": fw, "control": c} for fw, c in frameworks.controls_for_rule(rule_id)]
        yield {
            "rule": rule_id,
            "title": titles.get(rule_id, rule_id),
            "status": status,
            "severity": severity,
            "account": account,
            "resource": {"uid": uid, "name": name, "type": type_, "region": region},
            "message": message,
            "evidence": evidence,
            "controls": controls[rule_id],
            "first_seen": first,
            "last_seen": last,
            "muted": muted,
        }


def batched(chunks: Iterable[str], size: int = 64 * 1024) -> Iterator[str]:
    """Join small pieces into ~64 KB writes."""
    buffer: list[str] = []
    length = 0
    for chunk in chunks:
        buffer.append(chunk)
        length += len(chunk)
        if length >= size:
            yield "".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield "".join(buffer)


def json_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one element at a time (flat memory)."""
    yield "["
    for n, item in enumerate(items):
        yield ("," if n else "") + "\n  " + json.dumps(item, default=str)
    yield "\n]\n"


# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = frozenset("=+-@\t\r")


def inert(text: str | None) -> str | None:
    """``text`` as a spreadsheet shows it, never runs it: a leading ``'`` when it would start a formula.

    Only for text that comes from the clouds or from users (names, uids, regions, messages); a
    name with ``=`` further in is left as it is.
    """
    if text and text[0] in FORMULA_STARTS:
        return "'" + text
    return text


def csv_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV; the evidence column is the evidence's JSON text (rows(..., evidence_as_text=True)).

    Cells that come from the clouds or from users go through inert(): no formula runs when the
    file is opened in a spreadsheet.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    controls_text: dict[str, str] = {}
    for n, item in enumerate(items, 1):
        resource = item["resource"]
        evidence = item["evidence"]
        if item["rule"] not in controls_text:
            controls_text[item["rule"]] = ";".join(f"{c['framework']}:{c['control']}" for c in item["controls"])
        writer.writerow(
            (
                item["rule"],
                item["title"],
                item["status"],
                item["severity"],
                inert(item["account"]),
                inert(resource["uid"]),
                inert(resource["name"]),
                inert(resource["type"]),
                inert(resource["region"]),
                inert(item["message"]),
                evidence if isinstance(evidence, str) else json.dumps(evidence, default=str),
                controls_text[item["rule"]],
                item["first_seen"],
                item["last_seen"],
                item["muted"],
            )
        )
        if n % 256 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


OCSF_SEVERITY = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SARIF_KIND = {"PASS": "pass", "FAIL": "fail", "MANUAL": "review", "ERROR": "open"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _epoch_ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def ocsf(item: dict[str, Any], provider: str = "") -> dict[str, Any]:
    """One finding as an OCSF 1.1 Detection Finding (class 2004)."""
    failing = item["status"] == "FAIL"
    rule = RULES.get(item["rule"]) if item["rule"] in RULES else None
    return {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1 if failing else 3,
        "type_uid": 200401 if failing else 200403,
        "severity_id": OCSF_SEVERITY.get(item["severity"], 0),
        "severity": item["severity"].capitalize(),
        "status_id": 1 if failing else 4,
        "status": "New" if failing else "Resolved",
        "time": _epoch_ms(item["last_seen"]),
        "message": item["message"],
        "metadata": {"version": "1.1.0", "product": {"name": "Posture", "vendor_name": "Posture"}},
        "finding_info": {
            "uid": f"{item['account']}/{item['rule']}/{item['resource']['uid']}",
            "title": item["title"],
            "desc": rule.rationale if rule else "",
            "first_seen_time": _epoch_ms(item["first_seen"]),
            "last_seen_time": _epoch_ms(item["last_seen"]),
            "types": [item["rule"]],
        },
        "compliance": {
            "status": {"PASS": "Pass", "FAIL": "Fail", "MANUAL": "Warning", "ERROR": "Unknown"}[item["status"]],
            "requirements": [f"{c['framework']}:{c['control']}" for c in item["controls"]],
            "standards": sorted({c["framework"] for c in item["controls"]}),
        },
        "remediation": {"desc": rule.remediation if rule else ""},
        "resources": [
            {
                "uid": item["resource"]["uid"],
                "name": item["resource"]["name"],
                "type": item["resource"]["type"],
                "region": item["resource"]["region"],
            }
        ],
        "cloud": {
            "provider": provider or item["resource"]["type"].split(".")[0],
            "account": {"name": item["account"]},
            "region": item["resource"]["region"],
        },
        "evidences": [{"data": e} for e in item["evidence"]],
        **ocsf_fields(item["evidence"]),
        "unmapped": {"muted": item["muted"]},
    }


def ocsf_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    return json_chunks(ocsf(item) for item in items)


def sarif_chunks(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    """SARIF 2.1.0: results streamed first, then the tool with the rules that appeared."""
    seen: dict[str, None] = {}
    yield '{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [{"results": ['
    for n, item in enumerate(items):
        seen.setdefault(item["rule"], None)
        result = {
            "ruleId": item["rule"],
            "kind": SARIF_KIND[item["status"]],
            "level": SARIF_LEVEL.get(item["severity"], "warning") if item["status"] == "FAIL" else "none",
            "message": {"text": item["message"] or item["title"]},
            "locations": [
                {
                    "logicalLocations": [
                        {
                            "fullyQualifiedName": item["resource"]["uid"],
                            "name": item["resource"]["name"],
                            "kind": item["resource"]["type"],
                        }
                    ]
                }
            ],
            "properties": {
                "account": item["account"],
                "evidence": item["evidence"],
                "controls": item["controls"],
                "muted": item["muted"],
                **sarif_fields(item["evidence"]),
            },
        }
        yield ("," if n else "") + "\n" + json.dumps(result, default=str)
    rules = []
    for rule_id in seen:
        rule = RULES.get(rule_id) if rule_id in RULES else None
        rules.append(
            {
                "id": rule_id,
                "name": rule_id,
                "shortDescription": {"text": rule.title if rule else rule_id},
                "fullDescription": {"text": rule.rationale if rule else ""},
                "help": {"text": rule.remediation if rule else ""},
                "properties": {"security-severity": SECURITY_SEVERITY[str(rule.severity)] if rule else "5.0"},
            }
        )
    tool = {"driver": {"name": "Posture", "rules": rules}}
    yield '\n], "tool": ' + json.dumps(tool) + "}]}\n"


FORMATS = {
    "json": ("application/json", "json"),
    "csv": ("text/csv", "csv"),
    "ocsf": ("application/json", "ocsf.json"),
    "sarif": ("application/sarif+json", "sarif"),
}
_WRITERS = {"json": json_chunks, "csv": csv_chunks, "ocsf": ocsf_chunks, "sarif": sarif_chunks}


def export_stream(fmt: str, findings: QuerySet[Finding]) -> Iterator[str]:
    """The findings in ``fmt`` (one of FORMATS), streamed in ~64 KB pieces."""
    return batched(_WRITERS[fmt](rows(findings, evidence_as_text=fmt == "csv")))
