from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Stable paging through lists that change while being read: newest first by id."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 1000
