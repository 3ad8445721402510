"""The findings page's default order (most severe, then newest) is read off an index, not sorted per request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import QueryDict

from frontend.findings_query import SORTS, build, rows_queryset

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_default_order_uses_the_severity_rank_index(make_user) -> None:
    query = build(QueryDict("status=FAIL"), make_user("analyst"))
    keys = SORTS["severity"][1]
    qs = rows_queryset(query).order_by(*[f"-{f}" if desc else f for f, desc in keys])[:51]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # With sorting priced out, the plan reads the index if (and only if) the expressions are the same.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "finding_sev_first_seen_id" in plan, plan
