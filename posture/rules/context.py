"""What a rule may read besides its own resource: the account's other records, by type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from collectors.records import ResourceRecord

T = TypeVar("T")


class RuleContext:
    """The account's records by type.

    A CloudWatch alarm rule, say, needs the account's trails and metric
    filters; it asks ``ctx.resources("aws.cloudtrail.trail")``.
    """

    def __init__(self, records: Iterable[ResourceRecord]) -> None:
        self._by_type: dict[str, list[ResourceRecord]] = defaultdict(list)
        for record in records:
            self._by_type[record.type].append(record)

    def resources(self, type_: str) -> list[ResourceRecord]:
        return list(self._by_type.get(type_, ()))

    def types(self) -> set[str]:
        return set(self._by_type)


_DERIVED: WeakKeyDictionary[Any, dict[str, Any]] = WeakKeyDictionary()


def derived(ctx: Any, key: str, build: Callable[[], T]) -> T:
    """What ``build`` makes of the context's records, built once per context and ``key``: a lookup that many
    records' rules share (say the zones of each RDS cluster) is not rebuilt for every record.

    A context's records do not change while rules read it. A context that cannot be weakly referenced (a test's
    stand-in) builds every time. Nothing is kept when ``build`` raises.
    """
    try:
        per_ctx = _DERIVED.setdefault(ctx, {})
    except TypeError:
        return build()
    if key not in per_ctx:
        per_ctx[key] = build()
    return per_ctx[key]


def forget(ctx: Any) -> None:
    """Drop the lookups built over ``ctx`` (a context that lets go of records it held lets go of these too)."""
    _DERIVED.pop(ctx, None)


def hashable(value: Any) -> bool:
    """Whether ``value`` can key a lookup (a config's junk may not: a list where an id was expected)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True
