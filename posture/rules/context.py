"""What a rule may read besides its own resource: the account's other records, by type."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from collectors.records import ResourceRecord


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
