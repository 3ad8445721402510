"""Small display helpers: rule titles, durations, percentages."""

from __future__ import annotations

import json
from typing import Any

from django import template

from posture.rules.registry import RULES

register = template.Library()


@register.filter
def rule_title(rule_id: str) -> str:
    return RULES.get(rule_id).title if rule_id in RULES else rule_id


@register.filter
def duration(seconds: float | str | None) -> str:
    if seconds is None or seconds == "":  # "": a scan that does not exist (an account never scanned)
        return "—"
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@register.filter
def pct(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):.0f}%"
    except (TypeError, ValueError):
        return "—"


@register.filter
def score_class(value: Any) -> str:
    """good / fair / poor, for colouring a score."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "none"
    return "good" if number >= 80 else "fair" if number >= 50 else "poor"


@register.filter
def get(mapping: dict, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def getlist(querydict: Any, key: str) -> list[str]:
    return querydict.getlist(key) if hasattr(querydict, "getlist") else []


@register.filter
def words(name: str) -> str:
    """``access_key_id`` -> ``Access key id``."""
    return str(name).replace("_", " ").capitalize()


@register.filter
def thousands(value: Any) -> str:
    """12345 -> "12,345"; anything not a number as it is."""
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.filter
def diff_value(value: Any) -> str:
    """A drift value as compact JSON; ``—`` where the field is absent."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))


VULN_LEVELS = [  # (severity, its badge class, its short label)
    ("CRITICAL", "critical", "crit"),
    ("HIGH", "high", "high"),
    ("MEDIUM", "medium", "med"),
    ("LOW", "low", "low"),
    ("UNKNOWN", "unknown", "unknown"),
]


@register.inclusion_tag("frontend/partials/vuln_counts.html")
def vuln_counts(counts: dict[str, dict[str, int]] | None) -> dict[str, Any]:
    """Vulnerability counts by severity (``{SEVERITY: {total, fixable}}``) as chips: "3 crit · 2 fix"."""
    return {"counts": counts or {}, "vuln_levels": VULN_LEVELS}
