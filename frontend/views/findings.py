"""Findings: the filtered table (htmx partial), grouping, detail, mute/unmute, export."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from frontend.findings_query import (
    EVERYTHING,
    GROUPS,
    PAGE_SIZES,
    SORTS,
    build,
    chips,
    grouped,
    rows_queryset,
    total,
    view_qs,
)
from frontend.paging import BadCursor, keyset_page
from frontend.views.common import SEVERITIES, is_htmx, page, pk_of, require_role, visible_accounts
from frontend.views.integrations import ticket_card
from posture.access.audit import record
from posture.access.roles import Role, has_role
from posture.access.scoping import scope
from posture.findings import triage
from posture.findings.export import FORMATS, export_stream
from posture.findings.models import Finding, FindingEvent
from posture.findings.mutes import MuteInputError
from posture.images.in_use import finding_vulnerabilities
from posture.rules.frameworks import catalog
from posture.rules.registry import CATEGORIES, RULES

EVENTS_SHOWN = 50
# Filters the form has a control for; any other active filter (a resource picked from a group, a rule,
# a team) rides along as a hidden input, so the next change of the form keeps it.
FORM_CONTROLS = frozenset(
    {"q", "account", "framework", "control", "muted", "severity", "status", "category", "resource_type", "region"}
)


def _results_context(request: HttpRequest) -> dict:
    query = build(request.GET, request.user)
    problems = list(query.problems)
    context = {
        "query": query,
        "filters": query.filters,
        "filter_qs": query.filters.urlencode(),
        "view_qs": view_qs(query),
        "chips": chips(query),
        "everything_qs": _everything_qs(),
        "sorts": {k: v[0] for k, v in SORTS.items()},
        "groups": GROUPS,
        "page_sizes": PAGE_SIZES,
        "export_formats": sorted(FORMATS),
    }
    if query.group:
        context["groups_rows"] = grouped(query)
    else:
        try:
            result = keyset_page(rows_queryset(query), SORTS[query.sort][1], request.GET.get("cursor"), query.size)
        except BadCursor as exc:
            problems.append(str(exc))
            result = keyset_page(rows_queryset(query), SORTS[query.sort][1], None, query.size)
        context["page"] = result
        context["is_first_page"] = not request.GET.get("cursor")
        context["total"], context["total_capped"] = total(query)
    context["problems"] = problems
    return context


def _everything_qs() -> str:
    params = QueryDict(mutable=True)
    params.update(EVERYTHING)
    return params.urlencode()


def findings(request: HttpRequest) -> HttpResponse:
    context = _results_context(request)
    if is_htmx(request) and request.headers.get("HX-Target") == "results":
        return page(request, "frontend/partials/findings_results.html", context)
    context.update(
        severities=SEVERITIES,
        statuses=("FAIL", "PASS", "ERROR", "MANUAL"),
        accounts=visible_accounts(request).order_by("name").values_list("name", flat=True),
        frameworks=[(fw.id, fw.title) for fw in catalog()],
        categories=CATEGORIES.items(),
        hidden_filters=[
            (name, value)
            for name in context["filters"]
            if name not in FORM_CONTROLS
            for value in context["filters"].getlist(name)
        ],
    )
    return page(request, "frontend/findings.html", context)


def export(request: HttpRequest) -> HttpResponse:
    """The current view's filters as a file (CSV, JSON, OCSF, SARIF), streamed."""
    fmt = request.GET.get("format", "csv")
    query = build(request.GET, request.user)  # scoped: an export holds only the user's accounts
    if fmt not in FORMATS or query.problems:
        messages.error(request, "; ".join(query.problems) or f"format must be one of {', '.join(sorted(FORMATS))}")
        return redirect(f"{reverse('findings')}?{query.filters.urlencode()}")
    content_type, extension = FORMATS[fmt]
    response = StreamingHttpResponse(export_stream(fmt, query.qs.order_by("id")), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="findings.{extension}"'
    record(
        "findings.export",
        None,
        user=request.user,
        source="web",
        detail={"format": fmt, "filters": dict(query.filters.lists())},
    )
    return response


def visible_findings(request: HttpRequest) -> QuerySet:
    """Findings of the accounts the user's teams may see; another team's finding is a 404."""
    return scope(Finding.objects.all(), request.user)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(
        visible_findings(request).select_related("account", "resource", "mute_rule__created_by"), pk=pk
    )
    rule = RULES.get(finding.rule_id) if finding.rule_id in RULES else None
    frameworks = catalog()
    controls = []
    for fw_id, control_id in frameworks.controls_for_rule(finding.rule_id):
        fw = frameworks.get(fw_id)
        controls.append({"framework": fw, "control": fw.control(control_id)})
    events = scope(FindingEvent.objects.filter(finding=finding), request.user, "finding__account")
    events = list(events.select_related("actor", "scan")[:EVENTS_SHOWN])
    return page(
        request,
        "frontend/finding_detail.html",
        {
            "f": finding,
            "rule": rule,
            "controls": controls,
            "events": events,
            "back": request.GET.get("back", ""),
            "image_vulnerabilities": finding_vulnerabilities(
                finding.rule_id, finding.resource.config if finding.resource else None
            ),
            **ticket_card(request, finding),
        },
    )


@require_POST
@require_role(Role.ANALYST)
def mute(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(visible_findings(request).select_related("account"), pk=pk)
    try:
        triage.mute_findings(
            [finding],
            request.POST.get("reason", ""),
            triage.parse_expiry(request.POST.get("expires", "")),
            user=request.user,
        )
        messages.success(request, "Muted: the finding stays visible but leaves the score.")
    except MuteInputError as exc:
        messages.error(request, f"Not muted: {exc}")
    return redirect("finding-detail", pk=pk)


def _unmute(request: HttpRequest, findings: list[Finding]) -> int:
    """Revoke what mutes ``findings``; a rule across every account (it mutes other teams' findings) is admins' only."""
    if not has_role(request.user, Role.ADMIN) and any(f.mute_rule and f.mute_rule.account_id is None for f in findings):
        raise MuteInputError("muted by a rule across every account; only admins revoke it")
    return triage.unmute_findings(findings, user=request.user)


@require_POST
@require_role(Role.ANALYST)
def unmute(request: HttpRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(visible_findings(request).select_related("mute_rule"), pk=pk)
    try:
        n = _unmute(request, [finding])
        messages.success(request, "Unmuted." if n else "It was not muted.")
    except MuteInputError as exc:
        messages.error(request, f"Not unmuted: {exc}")
    return redirect("finding-detail", pk=pk)


@require_POST
@require_role(Role.ANALYST)
def bulk(request: HttpRequest) -> HttpResponse:
    """Mute or unmute the ticked rows, then show the same view again (the rows move)."""
    ids = [pk for pk in map(pk_of, request.POST.getlist("ids")) if pk is not None]
    chosen = list(visible_findings(request).filter(pk__in=ids).select_related("account", "mute_rule"))
    action = request.POST.get("action")
    try:
        if not chosen:
            raise MuteInputError("tick at least one finding")
        if action == "mute":
            expires = triage.parse_expiry(request.POST.get("expires", ""))
            triage.mute_findings(chosen, request.POST.get("reason", ""), expires, user=request.user)
            messages.success(request, f"Muted {len(chosen)} finding{'s' if len(chosen) != 1 else ''}.")
        elif action == "unmute":
            n = _unmute(request, chosen)
            messages.success(request, f"Revoked {n} mute rule{'s' if n != 1 else ''}.")
        else:
            raise MuteInputError("choose mute or unmute")
    except MuteInputError as exc:
        messages.error(request, f"Nothing changed: {exc}")
    back = request.POST.get("back", "")
    target = f"{reverse('findings')}?{back}" if back else reverse("findings")
    if is_htmx(request):
        request.GET = QueryDict(back)
        context = _results_context(request)
        return page(request, "frontend/partials/findings_results.html", context)
    return redirect(target)
