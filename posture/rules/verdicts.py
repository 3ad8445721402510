"""What a rule says about one resource, with the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collectors.records import ResourceRecord


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    ERROR = "ERROR"
    MANUAL = "MANUAL"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Evidence:
    """A field of the resource's config and the value observed there."""

    path: str
    value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "value": self.value}


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    message: str = ""
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)


def lookup(config: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (``a.b.0.c``); ``default`` where any step is missing."""
    value = config
    for part in path.split(".") if path else ():
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            value = _MISSING
        if value is _MISSING:
            return default
    return value


def observed(config: Any, path: str) -> Evidence:
    """Evidence of what ``config`` holds at ``path`` (``None`` where absent)."""
    return Evidence(path, lookup(config, path))


def _evidence(items: tuple[Evidence | tuple[str, Any], ...]) -> tuple[Evidence, ...]:
    return tuple(e if isinstance(e, Evidence) else Evidence(*e) for e in items)


def passed(message: str = "", *evidence: Evidence | tuple[str, Any]) -> Verdict:
    return Verdict(Status.PASS, message, _evidence(evidence))


def failed(message: str, *evidence: Evidence | tuple[str, Any]) -> Verdict:
    return Verdict(Status.FAIL, message, _evidence(evidence))


def manual(message: str, *evidence: Evidence | tuple[str, Any]) -> Verdict:
    return Verdict(Status.MANUAL, message, _evidence(evidence))


def errored(message: str, *evidence: Evidence | tuple[str, Any]) -> Verdict:
    return Verdict(Status.ERROR, message, _evidence(evidence))


def unreadable(resource: ResourceRecord, key: str, what: str = "") -> Verdict | None:
    """ERROR when the collector could not read ``key`` (its ``_errors.<key>``), so "unknown" is never a FAIL.

    ``what`` names the setting in the message (``key`` when not given); None when ``key`` was read.
    """
    problem = lookup(resource.config, f"_errors.{key}")
    if not problem:
        return None
    return Verdict(Status.ERROR, f"{what or key} could not be read: {problem}", (Evidence(f"_errors.{key}", problem),))


def check(condition: bool, ok: str, bad: str, *evidence: Evidence | tuple[str, Any]) -> Verdict:
    """PASS with message ``ok`` when ``condition`` holds, else FAIL with ``bad``; the same evidence."""
    if condition:
        return Verdict(Status.PASS, ok, _evidence(evidence))
    return Verdict(Status.FAIL, bad, _evidence(evidence))
