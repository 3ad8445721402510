"""The compliance report of a framework over a scope: a printable page and the same report as a PDF."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse

from frontend.views.common import page
from frontend.views.compliance import framework_or_404, scope_context
from posture.findings.report import build_report


def scope_label(chosen: dict[str, str]) -> str:
    """The scope as the report states it; empty for every account the user may see."""
    parts = [
        f"account {chosen['account']}" if "account" in chosen else "",
        f"team {chosen['team']}" if "team" in chosen else "",
    ]
    return ", ".join(p for p in parts if p)


def _report(request: HttpRequest, framework_id: str) -> tuple[dict, dict]:
    fw = framework_or_404(framework_id)
    ctx = scope_context(request)
    report = build_report(fw, ctx["accounts"], request.user, scope_label(ctx["scope"]))
    return ctx, {**report, "fw": fw, "problems": ctx["problems"]}


def report(request: HttpRequest, framework_id: str) -> HttpResponse:
    ctx, data = _report(request, framework_id)
    ctx.update(report=data, fw=data["fw"], summary=data["summary"], query=request.GET.urlencode())
    return page(request, "frontend/compliance_report.html", ctx)


def report_pdf(request: HttpRequest, framework_id: str) -> HttpResponse:
    from posture.findings.report_pdf import render_pdf  # fpdf2 loads here, not at start-up (warm-up preloads it)

    _, data = _report(request, framework_id)
    response = HttpResponse(render_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename(data)}"'
    return response


def filename(data: dict) -> str:
    """``<framework>-<scope>-<date>.pdf`` in letters, digits, dots and dashes only."""
    scope = re.sub(r"[^A-Za-z0-9.]+", "-", data["scope"]).strip("-")
    return f"{data['framework']['id']}-{scope}-{data['generated_at']:%Y-%m-%d}.pdf"
