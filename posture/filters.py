"""Filter fields every app's FilterSets share (as NetBox's base filtersets): strict booleans, ids, UTC times.

Each model's FilterSet lives in its app's ``filters.py``; the API, the pages and the command line use the same one.
"""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters as df
from django import forms

MAX_ID = 2**63 - 1  # a larger number is a 400, not an overflow in the database driver


class StrictBooleanFilter(df.TypedChoiceFilter):
    """true/false (or 1/0); anything else is a 400, not silently ignored."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("choices", [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")])
        kwargs.setdefault("coerce", lambda value: value in ("true", "1"))
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(df.fields.IsoDateTimeField):
    """An ISO 8601 time that also exists in UTC (the database compares in UTC).

    ``0001-01-01T00:00:00+14:00`` parses, but is a year before the first one in UTC: a clear error
    here instead of an OverflowError in the database driver.
    """

    def to_python(self, value):
        parsed = super().to_python(value)
        if isinstance(parsed, datetime):
            try:
                parsed.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "is outside the years 1 to 9999 once converted to UTC", code="out_of_range"
                ) from None
        return parsed


class UtcIsoDateTimeRangeField(df.fields.RangeField):
    widget = df.widgets.DateRangeWidget

    def __init__(self, *args, **kwargs) -> None:
        super().__init__((UtcIsoDateTimeField(), UtcIsoDateTimeField()), *args, **kwargs)


class TimeRangeFilter(df.IsoDateTimeFromToRangeFilter):
    """``<name>_after`` / ``<name>_before`` as ISO 8601 times; one that no UTC clock shows is a 400."""

    field_class = UtcIsoDateTimeRangeField
