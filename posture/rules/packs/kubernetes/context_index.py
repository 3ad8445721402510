"""Lookups over the account's other records, built once per evaluation (not once per workload)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from weakref import WeakKeyDictionary

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext

_CACHE: WeakKeyDictionary[RuleContext, dict[str, Any]] = WeakKeyDictionary()


def _cached(ctx: RuleContext, key: str, build: Any) -> Any:
    per_ctx = _CACHE.setdefault(ctx, {})
    if key not in per_ctx:
        per_ctx[key] = build()
    return per_ctx[key]


def by_namespace_and_name(ctx: RuleContext, type_: str) -> dict[tuple[str, str], ResourceRecord]:
    """``{(namespace, name): record}`` for one record type."""

    def build() -> dict[tuple[str, str], ResourceRecord]:
        index = {}
        for record in ctx.resources(type_):
            meta = record.config.get("metadata") or {}
            index[(str(meta.get("namespace", "")), str(meta.get("name", "")))] = record
        return index

    return _cached(ctx, "by-name:" + type_, build)


def names_by_namespace(ctx: RuleContext, type_: str) -> dict[str, list[str]]:
    """``{namespace: [names]}`` for one record type."""

    def build() -> dict[str, list[str]]:
        index: dict[str, list[str]] = defaultdict(list)
        for namespace, name in by_namespace_and_name(ctx, type_):
            index[namespace].append(name)
        return dict(index)

    return _cached(ctx, "names:" + type_, build)
