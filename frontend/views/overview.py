"""Overview: scores and trends per framework, failing findings by severity, what needs attention."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from frontend.charts import severity_chart, trend_chart
from frontend.views.common import SEVERITIES, page, visible_accounts
from posture.access.scoping import scope
from posture.findings.compliance import summaries, trend
from posture.findings.models import Finding
from posture.paths.query import open_path_count
from posture.rules.frameworks import catalog
from posture.scans.models import Scan

TREND_DAYS = (30, 90)


def latest_scans(accounts: Any) -> dict[int, Scan]:
    """Each account's newest scan (any state), in two queries."""
    ids = Scan.objects.filter(account__in=accounts).values("account").annotate(latest=Max("id")).values("latest")
    return {s.account_id: s for s in Scan.objects.filter(id__in=ids)}


def framework_cards(accounts: Any, days: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """A score card per framework whose provider has accounts; the worst controls; the trend chart."""
    cards, failing, series = [], [], {}
    end = timezone.now()
    frameworks = list(catalog())
    for fw, s in zip(frameworks, summaries(frameworks, accounts, at=end), strict=True):
        if not s["accounts"]:
            continue
        points = trend(fw.id, accounts, start=end - timedelta(days=days - 1), end=end)
        start_score = next((p["score"] for p in points if p["score"] is not None), None)
        cards.append({"fw": s["framework"], "summary": s, "delta": _delta(start_score, s["score"])})
        series[fw.title.replace("CIS ", "").replace(" Benchmark", "")] = points
        for section in s["sections"]:
            for control in section["controls"]:
                if control["status"] == "fail":
                    failing.append({"framework": s["framework"], "section": section["title"], **control})
    failing.sort(key=lambda c: (-c["failed"], c["framework"]["id"], c["id"]))
    return cards, failing[:8], trend_chart(series) if series else ""


def _delta(before: float | None, now: float | None) -> float | None:
    if before is None or now is None:
        return None
    return round(now - before, 1)


def home(request: HttpRequest) -> HttpResponse:
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    days = days if days in TREND_DAYS else 30
    accounts = visible_accounts(request)
    cards, top_controls, chart = framework_cards(accounts, days)
    # Counted off the partial index finding_open_by_account alone (count(*): no column outside it).
    by_severity = dict(
        scope(Finding.objects.filter(status="FAIL", muted=False), request.user)
        .values_list("severity")
        .annotate(n=Count("*"))
        .values_list("severity", "n")
    )
    counts = {s: by_severity.get(s, 0) for s in SEVERITIES}
    latest = latest_scans(accounts)
    rows, opened, resolved = [], 0, 0
    for account in accounts:
        scan = latest.get(account.pk)
        transitions = (scan.counts or {}).get("transitions", {}) if scan else {}
        findings = (scan.counts or {}).get("findings", {}) if scan else {}
        opened += transitions.get("opened", 0) + transitions.get("reopened", 0)
        resolved += transitions.get("resolved", 0)
        rows.append({"account": account, "scan": scan, "failing": findings.get("FAIL", 0)})
    attention = sorted(
        (r for r in rows if r["failing"] or (r["scan"] and r["scan"].state in ("failed", "partial"))),
        key=lambda r: (r["scan"] is None or r["scan"].state != "failed", -r["failing"]),
    )[:6]
    return page(
        request,
        "frontend/overview.html",
        {
            "cards": cards,
            "trend_svg": chart,
            "days": days,
            "trend_days": TREND_DAYS,
            "severity_svg": severity_chart(counts) if any(counts.values()) else "",
            "severity_counts": counts,
            "failing_total": sum(counts.values()),
            "top_controls": top_controls,
            "opened": opened,
            "resolved": resolved,
            "attention": attention,
            "rows": rows,
            "path_count": open_path_count(request.user),
        },
    )
