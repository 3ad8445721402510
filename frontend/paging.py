"""Keyset pagination for the pages: a page is found by the last row's sort key, never by OFFSET.

The cursor is a signed token holding that key, so a million rows page as fast as ten
and a tampered cursor is an error message, not a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Q, QuerySet

SALT = "frontend.paging"


class BadCursor(ValueError):
    pass


@dataclass
class Page:
    rows: list[Any]
    next_cursor: str | None
    size: int


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "dt" in value:
        return datetime.fromisoformat(value["dt"])
    return value


def _after(keys: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order ``keys`` ((field, descending), ...)."""
    condition = Q(pk__in=[])
    equal = Q()
    for (field, descending), value in zip(keys, values, strict=True):
        step = Q(**{f"{field}__{'lt' if descending else 'gt'}": value})
        condition |= equal & step
        equal &= Q(**{field: value})
    return condition


def keyset_page(qs: QuerySet, keys: list[tuple[str, bool]], cursor: str | None, size: int) -> Page:
    """One page of ``qs`` ordered by ``keys``; the last key must be unique (e.g. ``id``)."""
    if cursor:
        qs = qs.filter(_after(keys, _cursor_values(cursor, keys)))
    qs = qs.order_by(*[f"-{f}" if desc else f for f, desc in keys])
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        values = [_encode(_value(last, f)) for f, _ in keys]
        next_cursor = signing.dumps({"keys": [f for f, _ in keys], "values": values}, salt=SALT)
    return Page(rows=rows, next_cursor=next_cursor, size=size)


def _cursor_values(cursor: str, keys: list[tuple[str, bool]]) -> list[Any]:
    """The key values a cursor holds; BadCursor unless it is ours and for this very order.

    The cursor names its keys: one for another sort (a rule id where a time is compared) would
    otherwise reach the database as a value of the wrong type.
    """
    try:
        doc = signing.loads(cursor, salt=SALT)
        names, values = doc["keys"], [_decode(v) for v in doc["values"]]
    except (signing.BadSignature, ValueError, TypeError, KeyError):
        raise BadCursor("That page link is not valid any more; showing the first page.") from None
    if names != [f for f, _ in keys] or len(values) != len(keys):
        raise BadCursor("That page link is for another sort order; showing the first page.")
    return values


def _value(row: Any, field: str) -> Any:
    if isinstance(row, dict):
        return row[field]
    return getattr(row, field.replace("__", "_"), None) if "__" in field else getattr(row, field)
