"""What changed in a resource's configuration, field by field, with what is not configuration left out.

Plain functions, no Django: the persistence step, the drift comparison and other drift views (container
drift) build on :func:`diff_configs` and :class:`ChangeKind`. The volatile fields per resource type are
data beside the collectors (:mod:`collectors.volatile`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from collectors.records import config_hash
from collectors.redact import REDACTED, redact_document, secret_named
from collectors.volatile import identity_paths, volatile_paths

MAX_FIELDS = 100  # changed fields kept per resource; the count says how many there were
MAX_VALUE_CHARS = 2000  # a longer value (a whole policy document) is cut, marked with TRUNCATED
TRUNCATED = "…(truncated)"


class ChangeKind(StrEnum):
    MODIFIED = "modified"  # same object, configuration differs
    RECREATED = "recreated"  # same name, a new object (its identity, e.g. a Kubernetes uid, differs)
    APPEARED = "appeared"  # not there before
    GONE = "gone"  # no longer there


KINDS = tuple(str(k) for k in ChangeKind)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs: its dotted path, and the values before and after (None: absent)."""

    path: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split(path: str) -> list[str]:
    return path.split(".")


def strip(value: Any, patterns: list[list[str]]) -> Any:
    """``value`` without the fields the patterns match (see :mod:`collectors.volatile` for the syntax)."""
    if not patterns or not isinstance(value, dict | list):
        return value
    items = value.items() if isinstance(value, dict) else enumerate(value)
    kept: dict[Any, Any] = {}
    for key, item in items:
        dropped, below = _match(str(key), patterns)
        if not dropped:
            kept[key] = strip(item, below)
    return kept if isinstance(value, dict) else list(kept.values())


def _match(key: str, patterns: list[list[str]]) -> tuple[bool, list[list[str]]]:
    """Whether ``key`` itself is dropped, and the patterns that apply below it."""
    below: list[list[str]] = []
    for pattern in patterns:
        head, rest = pattern[0], pattern[1:]
        if head == "**":
            below.append(pattern)  # deeper still
            if rest:
                dropped, deeper = _match(key, [rest])
                if dropped:
                    return True, []
                below += deeper
            continue
        if head in ("*", key):
            if not rest:
                return True, []
            below.append(rest)
    return False, below


def normalized(resource_type: str, config: Any) -> Any:
    """The configuration drift compares: the stored config without its volatile and identity fields."""
    return strip(config, [split(p) for p in volatile_paths(resource_type)])


def normalized_hash(resource_type: str, config: Any) -> str:
    return config_hash(normalized(resource_type, config) or {})


def identity(resource_type: str, config: Any) -> tuple[Any, ...]:
    """The values that say which object this is (empty where the type has none)."""
    return tuple(_at(config, split(p)) for p in identity_paths(resource_type))


def _at(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def change_kind(resource_type: str, before: Any, after: Any) -> ChangeKind:
    """The kind of change between two configurations of the same named resource (None: absent)."""
    if before is None:
        return ChangeKind.APPEARED
    if after is None:
        return ChangeKind.GONE
    old, new = identity(resource_type, before), identity(resource_type, after)
    if any(a is not None and b is not None and a != b for a, b in zip(old, new, strict=True)):
        return ChangeKind.RECREATED
    return ChangeKind.MODIFIED


def diff_configs(resource_type: str, before: Any, after: Any) -> list[FieldChange]:
    """Every configuration field that differs between two configs of a resource type, volatile fields ignored.

    Dicts are compared key by key, lists of objects item by item (``containers.0.image``); a list of plain
    values, or a key present on one side only, is one change with the whole value. Values are as stored
    (already redacted by the collectors); :func:`shown` redacts them again for display.
    """
    out: list[FieldChange] = []
    _walk(normalized(resource_type, before or {}), normalized(resource_type, after or {}), "", out)
    return out


def _walk(before: Any, after: Any, prefix: str, out: list[FieldChange]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            _walk(before.get(key), after.get(key), f"{prefix}{key}.", out)
        return
    if _object_list(before) and _object_list(after):
        for index in range(max(len(before), len(after))):
            _walk(_item(before, index), _item(after, index), f"{prefix}{index}.", out)
        return
    out.append(FieldChange(prefix.rstrip(".") or "(root)", before, after))


def _object_list(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _item(values: list[Any], index: int) -> Any:
    return values[index] if index < len(values) else None


def shown(change: FieldChange) -> dict[str, Any]:
    """A change fit to store and show: secrets redacted (by the field's name or the value's shape), long values
    cut."""
    name = change.path.rsplit(".", 1)[-1]
    return {
        "path": change.path,
        "before": _shown_value(name, change.before),
        "after": _shown_value(name, change.after),
    }


def _shown_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and value and secret_named(name) and not name.endswith(("Ref", "Name", "Id")):
        return REDACTED
    value = redact_document(value)
    text = json.dumps(value, sort_keys=True, default=str)
    if len(text) <= MAX_VALUE_CHARS:
        return value
    return text[:MAX_VALUE_CHARS] + TRUNCATED


def stored_diff(changes: list[FieldChange]) -> list[dict[str, Any]]:
    """The first :data:`MAX_FIELDS` changes, shown."""
    return [shown(c) for c in changes[:MAX_FIELDS]]
