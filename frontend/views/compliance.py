"""Compliance: frameworks -> sections -> controls, per account or team; drill-down (the report: ``report``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from frontend.paging import BadCursor, keyset_page
from frontend.views.common import page, scoped_accounts, visible_accounts
from posture.access.scoping import scope
from posture.findings import scoring
from posture.findings.attestations import state_of, visible_attestations
from posture.findings.compliance import summaries, summary
from posture.findings.models import Finding
from posture.rules.frameworks import Framework, FrameworkError, catalog
from posture.rules.registry import RULES

RESOURCES_PER_PAGE = 50
SECTION_TOTAL = {
    scoring.PASS: "pass",
    scoring.ATTESTED_PASS: "pass",
    scoring.FAIL: "fail",
    scoring.ATTESTED_FAIL: "fail",
    scoring.NEEDS_ATTESTATION: "attest",
}


def framework_or_404(framework_id: str) -> Framework:
    try:
        return catalog().get(framework_id)
    except FrameworkError:
        raise Http404(f"no framework {framework_id!r}") from None


def scope_context(request: HttpRequest) -> dict:
    """The accounts in scope (?account=, ?team=), the picker's choices, and problems with the input."""
    accounts, chosen, problems = scoped_accounts(request)
    visible = visible_accounts(request)
    return {
        "accounts": accounts,
        "scope": chosen,
        "problems": problems,
        "account_names": visible.order_by("name").values_list("name", flat=True),
        "teams": visible.exclude(team="").order_by("team").values_list("team", flat=True).distinct(),
    }


def frameworks(request: HttpRequest) -> HttpResponse:
    ctx = scope_context(request)
    frameworks = list(catalog())
    rows = [
        {"fw": fw, "summary": s, "controls": len(fw.controls)}
        for fw, s in zip(frameworks, summaries(frameworks, ctx["accounts"]), strict=True)
    ]
    rows.sort(key=lambda r: (not r["summary"]["accounts"], r["fw"].provider, r["fw"].id))
    ctx["rows"] = rows
    return page(request, "frontend/compliance.html", ctx)


def _sections_with_totals(s: dict) -> list[dict]:
    out = []
    for section in s["sections"]:
        totals = {"pass": 0, "fail": 0, "attest": 0, "other": 0}
        for c in section["controls"]:
            totals[SECTION_TOTAL.get(c["status"], "other")] += 1
        out.append({**section, "totals": totals, "depth": 1 if section["parent"] else 0})
    return out


def framework(request: HttpRequest, framework_id: str) -> HttpResponse:
    fw = framework_or_404(framework_id)
    ctx = scope_context(request)
    s = summary(fw, ctx["accounts"])
    ctx.update(fw=fw, summary=s, sections=_sections_with_totals(s), status_filter=request.GET.get("status", ""))
    return page(request, "frontend/compliance_framework.html", ctx)


def control(request: HttpRequest, framework_id: str, control_id: str) -> HttpResponse:
    fw = framework_or_404(framework_id)
    try:
        ctrl = fw.control(control_id)
    except KeyError:
        raise Http404(f"no control {control_id!r} in {fw.id}") from None
    ctx = scope_context(request)
    findings = scope(Finding.objects.all(), request.user)
    failing = findings.filter(account__in=ctx["accounts"], rule_id__in=ctrl.rules, status="FAIL").values(
        "id",
        "rule_id",
        "resource_uid",
        "severity",
        "muted",
        "message",
        "account__name",
        "resource__name",
        "resource__type",
    )
    try:
        result = keyset_page(failing, [("id", False)], request.GET.get("cursor"), RESOURCES_PER_PAGE)
    except BadCursor as exc:
        ctx["problems"].append(str(exc))
        result = keyset_page(failing, [("id", False)], None, RESOURCES_PER_PAGE)
    rules = [RULES.get(r) for r in ctrl.rules if r in RULES]
    section_path = fw.section_path(ctrl.section_id)
    state = next(c for s in summary(fw, ctx["accounts"])["sections"] for c in s["controls"] if c["id"] == ctrl.id)
    attested = visible_attestations(request.user).filter(framework_id=fw.id, control_id=ctrl.id).order_by("-id")
    ctx.update(
        fw=fw,
        control=ctrl,
        rules=rules,
        page=result,
        section_path=section_path,
        state=state,
        attestations=[(a, state_of(a)) for a in attested[:50]],
        today=timezone.now().date(),
    )
    return page(request, "frontend/compliance_control.html", ctx)
