"""Keyset paging and the server-side charts."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from frontend import charts
from frontend.paging import BadCursor, keyset_page


@pytest.fixture
def users(db):
    for i in range(7):
        User.objects.create(username=f"u{i}", first_name="b" if i % 2 else "a")
    return User.objects.all()


@pytest.mark.parametrize(
    "keys",
    [[("id", False)], [("id", True)], [("first_name", False), ("id", True)], [("first_name", True), ("id", False)]],
)
def test_keyset_pages_cover_everything_once_in_order(users, keys):
    seen, cursor = [], None
    while True:
        page = keyset_page(users, keys, cursor, 3)
        seen += [u.pk for u in page.rows]
        cursor = page.next_cursor
        if not cursor:
            break
    expected = list(users.order_by(*[f"-{f}" if d else f for f, d in keys]).values_list("pk", flat=True))
    assert seen == expected


def test_bad_cursors_are_refused(users):
    with pytest.raises(BadCursor):
        keyset_page(users, [("id", False)], "garbage", 3)
    cursor = keyset_page(users, [("id", False)], None, 3).next_cursor
    with pytest.raises(BadCursor):
        keyset_page(users, [("first_name", False), ("id", False)], cursor, 3)


def test_charts_are_plain_svg_without_script_or_style():
    trend = charts.trend_chart({"CIS": [{"date": "2026-01-01", "score": 50.0, "accounts": 1}]})
    bars = charts.severity_chart({"critical": 2, "high": 0})
    for svg in (trend, bars):
        assert svg.startswith("<svg") and "<script" not in svg and "<style" not in svg and 'style="' not in svg
        assert "http://" not in svg.replace("http://www.w3.org", "")
    assert "chart-trend" in trend and "chart-severity" in bars


def test_charts_css_is_current():
    """charts.css holds what pygal would inline; regenerate with `python -m frontend.charts`."""
    path = Path(charts.__file__).parent / "static" / "frontend" / "charts.css"
    assert path.read_text() == charts.stylesheet()


def test_integer_ticks():
    assert charts._integer_ticks(0) == [0, 1]
    assert charts._integer_ticks(3) == [0, 1, 2, 3]
    assert charts._integer_ticks(12) == [0, 5, 10, 15]
    assert charts._integer_ticks(1234)[-1] >= 1234
