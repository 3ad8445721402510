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


def each(ctx: Any, type_: str) -> Iterable[ResourceRecord]:
    """The records of ``type_`` one at a time, for a lookup that keeps only a little of each (``derived``): a
    context that reads its records from storage (``stream``: a spread scan's) passes them through instead of
    holding the whole type; any other gives its list."""
    stream = getattr(ctx, "stream", None)
    return stream(type_) if callable(stream) else ctx.resources(type_)


_DERIVED: WeakKeyDictionary[Any, dict[str, tuple[Any, frozenset[str]]]] = WeakKeyDictionary()


def derived(ctx: Any, key: str, build: Callable[[], T], holds: Iterable[str] = ()) -> T:
    """What ``build`` makes of the context's records, built once per context and ``key``: a lookup that many
    records' rules share (say the zones of each RDS cluster) is not rebuilt for every record.

    ``holds``: the types whose records the lookup keeps (not only reads); it goes when the context lets go of one
    of them (:func:`forget`). A context's records do not change while rules read it. A context that cannot be
    weakly referenced (a test's stand-in) builds every time. Nothing is kept when ``build`` raises.
    """
    try:
        per_ctx = _DERIVED.setdefault(ctx, {})
    except TypeError:
        return build()
    if key not in per_ctx:
        per_ctx[key] = (build(), frozenset(holds))
    value: T = per_ctx[key][0]
    return value


def forget(ctx: Any, type_: str) -> None:
    """Drop the lookups over ``ctx`` that keep records of ``type_`` (the context lets go of that type)."""
    per_ctx = _DERIVED.get(ctx) or {}
    for key in [k for k, (_, holds) in per_ctx.items() if type_ in holds]:
        del per_ctx[key]


def hashable(value: Any) -> bool:
    """Whether ``value`` can key a lookup (a config's junk may not: a list where an id was expected)."""
    try:
        hash(value)
    except TypeError:
        return False
    return True
