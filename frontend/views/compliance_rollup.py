"""Managers' compliance views: a framework's score per team or account with its 30/90-day change and trend line,
and what moved the score between two dates (the controls that changed status and the findings behind them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from frontend.sparkline import sparkline
from frontend.views.common import page
from frontend.views.compliance import framework_or_404, scope_context
from posture.findings.group_trends import GROUPINGS, PERIODS, score_table
from posture.findings.movement import BadWindow, movement, window


def choice(request: HttpRequest, name: str, allowed: tuple, problems: list[str]) -> Any:
    """``?name=`` if it is one of ``allowed`` (the first otherwise, with a note for anything else given)."""
    raw = request.GET.get(name, "").strip()
    for option in allowed:
        if raw == str(option):
            return option
    if raw:
        problems.append(f"{name}: {raw!r} is not one of {', '.join(map(str, allowed))}; showing {allowed[0]}.")
    return allowed[0]


def scores(request: HttpRequest, framework_id: str) -> HttpResponse:
    """Score per team or account, worst first, with its change over 30 or 90 days and a trend line."""
    fw = framework_or_404(framework_id)
    ctx = scope_context(request)
    by = choice(request, "by", GROUPINGS, ctx["problems"])
    days = choice(request, "days", PERIODS, ctx["problems"])
    end = timezone.now()
    start = end - timedelta(days=days - 1)
    rows = score_table(fw, ctx["accounts"], by, start=start, end=end)
    for row in rows:
        row["sparkline"] = sparkline(row["points"])
    ctx.update(fw=fw, by=by, days=days, rows=rows, groupings=GROUPINGS, periods=PERIODS, start=start.date())
    return page(request, "frontend/compliance_scores.html", ctx)


def movement_page(request: HttpRequest, framework_id: str) -> HttpResponse:
    """The controls whose status changed between ``?from=`` and ``?to=`` (default: the last 30 days)."""
    fw = framework_or_404(framework_id)
    ctx = scope_context(request)
    today = timezone.localdate()
    raw_from = request.GET.get("from", "").strip() or (today - timedelta(days=29)).isoformat()
    raw_to = request.GET.get("to", "").strip() or today.isoformat()
    try:
        win = window(raw_from, raw_to)
    except BadWindow as exc:  # reported on the page, as an unknown account is
        ctx["problems"].append(f"{exc}; showing the last 30 days.")
        win = window((today - timedelta(days=29)).isoformat(), today.isoformat())
    ctx.update(fw=fw, window=win, moved=movement(fw, ctx["accounts"], win))
    return page(request, "frontend/compliance_movement.html", ctx)
