"""Cursor paging for every API list; a cursor the API did not give is a 400 naming it, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

MAX_INTEGER = 2**63 - 1  # the widest integer column; a larger position would overflow the driver
BAD_CURSOR = "not a cursor this API gave: follow the next/previous links, or leave cursor out for the first page"


class Cursor(CursorPagination):
    """Stable paging through lists that change while being read: newest first by id."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 1000
    invalid_cursor_message = BAD_CURSOR

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor, its position checked against the ordering field's type (a 400 if it does not fit)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None
        if cursor is not None and cursor.position is not None:
            field_name = self.ordering[0].lstrip("-")
            if not position_fits(self._model, field_name, cursor.position):
                raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
        return cursor


def position_fits(model: type[models.Model], field_name: str, position: str) -> bool:
    """Whether ``position`` reads as a value of ``model.field_name`` the database can compare with."""
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return True  # an annotation: compared as the text it is
    try:
        value: Any = field.to_python(position)
    except (DjangoValidationError, ValueError, TypeError):
        return False
    if isinstance(value, int) and not isinstance(value, bool):
        return -MAX_INTEGER - 1 <= value <= MAX_INTEGER
    if isinstance(value, datetime):
        try:
            value.astimezone(UTC)  # what the driver does; years 1 and 9999 overflow at the extreme offsets
        except OverflowError:
            return False
    return True
