"""Stored paths as CSV or JSON: the API's ``?format=`` and ``manage.py paths list --format``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

FORMATS = {"json": "application/json", "csv": "text/csv"}
CSV_COLUMNS = ("id", "rank", "target_kind", "title", "accounts", "reach", "entries", "opened_at", "closed_at", "hops")


def hop_text(hop: dict[str, Any]) -> str:
    """One hop in words: ``--edge--> label [kind] (findings)``; a muted finding is marked with its reason."""
    edge = hop.get("edge") or {}
    findings = []
    for f in hop.get("findings") or []:
        mark = f" muted: {f.get('mute_reason') or 'no reason'}" if f.get("muted") else ""
        findings.append(f"{f.get('severity')} {f.get('rule_id')}{mark}")
    arrow = f"--{edge.get('kind')}--> " if edge else ""
    return f"{arrow}{hop.get('label')} [{hop.get('kind')}]" + (f" ({'; '.join(findings)})" if findings else "")


def render(fmt: str, rows: list[dict[str, Any]]) -> str:
    if fmt == "json":
        return json.dumps(rows, indent=2)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        flat = {**row, "accounts": " ".join(row["accounts"]), "hops": " ".join(hop_text(h) for h in row["hops"])}
        writer.writerow([_cell(flat.get(c)) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
