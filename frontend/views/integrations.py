"""Settings → Integrations (admins): webhook endpoints and Jira connections, their test, the delivery log.

The forms go through the API's serializers, so a page accepts exactly what ``/api/v1/integrations/`` does
(https unless the network is allowed, 16+ character secrets, known frameworks...). Secrets are write-only:
never put back into a page, and an empty secret field on edit keeps the stored one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from frontend.paging import BadCursor, keyset_page
from frontend.views.common import SEVERITIES, page, require_role
from posture.access.roles import Role, has_role
from posture.access.scoping import scope
from posture.findings.models import Finding
from posture.integrations import operations
from posture.integrations.models import (
    WEBHOOK_EVENTS,
    Delivery,
    DeliveryStatus,
    Event,
    Flavor,
    Grouping,
    JiraConnection,
    Target,
    Ticket,
    WebhookEndpoint,
)
from posture.integrations.serializers import JiraSerializer, TicketRequestSerializer, WebhookSerializer
from posture.inventory.models import CloudAccount
from posture.rules.frameworks import catalog


@dataclass(frozen=True)
class Kind:
    model: type[Target]
    serializer: type
    secret: str  # the write-only field
    title: str


KINDS = {
    "webhook": Kind(WebhookEndpoint, WebhookSerializer, "secret", "webhook"),
    "jira": Kind(JiraConnection, JiraSerializer, "token", "Jira connection"),
}


def visible_findings(request: HttpRequest) -> Any:
    return scope(Finding.objects.select_related("account"), request.user)


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise Http404("no such kind of integration")
    return KINDS[name]


def _given(post: QueryDict, name: str) -> list[str]:
    return [v.strip() for v in post.getlist(name) if v.strip()]


def _custom_fields(raw: str) -> Any:
    """The custom fields textarea as JSON (empty: none); ValueError names what is wrong."""
    raw = raw.strip()
    try:
        return json.loads(raw) if raw else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} (line {exc.lineno})") from None


def form_data(kind: str, post: QueryDict) -> dict[str, Any]:
    """What the form posted, in the API's shape (the secret only if one was typed)."""
    data: dict[str, Any] = {
        "name": post.get("name", "").strip(),
        "enabled": post.get("enabled") == "on",
        "severities": _given(post, "severities"),
        "accounts": _given(post, "accounts"),
        "frameworks": _given(post, "frameworks"),
    }
    if kind == "webhook":
        data.update(url=post.get("url", "").strip(), events=_given(post, "events"))
    else:
        data.update(
            {f: post.get(f, "").strip() for f in ("flavor", "base_url", "email", "project_key", "issue_type")},
            grouping=post.get("grouping", ""),
            group_framework=post.get("group_framework", "").strip(),
            priorities={s: post.get(f"priority.{s}", "").strip() for s in SEVERITIES},
            labels=post.get("labels", "").split(),
            auto_severities=_given(post, "auto_severities"),
            done_transition=post.get("done_transition", "").strip(),
            reopen_transition=post.get("reopen_transition", "").strip(),
        )
    secret = KINDS[kind].secret
    if post.get(secret, ""):
        data[secret] = post[secret]
    return data


def errors_of(detail: dict[str, Any]) -> dict[str, str]:
    """The serializer's errors, one line per form field (non-field errors under ``form``)."""
    flat = {}
    for field, problems in detail.items():
        items = problems.values() if isinstance(problems, dict) else problems
        flat["form" if field == "non_field_errors" else field] = " ".join(str(p) for p in items)
    return flat


def shown(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """What the form shows: the data minus the secret, with lists as the inputs hold them."""
    form = {k: v for k, v in data.items() if k != KINDS[kind].secret}
    if kind == "jira":
        form["labels"] = " ".join(form.get("labels") or [])
        form["custom_fields"] = (
            json.dumps(form.get("custom_fields") or {}, indent=1) if form.get("custom_fields") else ""
        )
    return form


def save(request: HttpRequest, kind: str, target: Target | None) -> tuple[Target | None, dict, dict[str, str]]:
    """Validate with the API's serializer and save (audited); else the form to show again and its errors."""
    data = form_data(kind, request.POST)
    try:
        data["custom_fields"] = _custom_fields(request.POST.get("custom_fields", "")) if kind == "jira" else None
    except ValueError as exc:
        return None, shown(kind, data), {"custom_fields": str(exc)}
    if data["custom_fields"] is None:
        del data["custom_fields"]
    serializer = KINDS[kind].serializer(instance=target, data=data, partial=target is not None)
    if not serializer.is_valid():
        form = shown(kind, data)
        form["custom_fields"] = request.POST.get("custom_fields", "")
        return None, form, errors_of(serializer.errors)
    return operations.save_target(serializer, user=request.user, source="web"), {}, {}


def _context(kind: str, target: Target | None, form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "kind": kind,
        "kind_title": KINDS[kind].title,
        "target": target,
        "has_secret": bool(target and getattr(target, f"{KINDS[kind].secret}_encrypted")),
        "form": form,
        "errors": errors,
        "severities": SEVERITIES,
        "events": [(e.value, e.label) for e in WEBHOOK_EVENTS],
        "account_names": list(CloudAccount.objects.order_by("name").values_list("name", flat=True)),
        "frameworks": sorted((fw.id, fw.title) for fw in catalog()),
        "flavors": Flavor.choices,
        "groupings": Grouping.choices,
        "deliveries": list(target.deliveries.order_by("-id")[:20]) if target else [],
    }


NEW_DEFAULTS = {
    "webhook": {"enabled": True, "events": [Event.NEW_FAILURE, Event.REGRESSION, Event.RESOLVED]},
    "jira": {"enabled": True, "flavor": Flavor.CLOUD, "issue_type": "Bug", "grouping": Grouping.FINDING},
}


@require_role(Role.ADMIN)
def new(request: HttpRequest, kind: str) -> HttpResponse:
    kind_of(kind)
    form: dict[str, Any] = dict(NEW_DEFAULTS[kind])
    if kind == "jira":
        form["priorities"] = dict(JiraConnection._meta.get_field("priorities").get_default())
    errors: dict[str, str] = {}
    if request.method == "POST":
        target, form, errors = save(request, kind, None)
        if target is not None:
            messages.success(request, f"Added {target.name}. Send a test to check it.")
            return redirect("integration-edit", kind=kind, pk=target.pk)
    return page(request, "frontend/integration_form.html", _context(kind, None, form, errors))


@require_role(Role.ADMIN)
def edit(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    spec = kind_of(kind)
    target = get_object_or_404(spec.model.objects.prefetch_related("accounts"), pk=pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        saved, form, errors = save(request, kind, target)
        if saved is not None:
            messages.success(request, f"Saved {saved.name}.")
            return redirect("integration-edit", kind=kind, pk=pk)
        target.refresh_from_db()
    else:
        form = shown(kind, dict(spec.serializer(target).data))
    return page(request, "frontend/integration_form.html", _context(kind, target, form, errors))


@require_POST
@require_role(Role.ADMIN)
def test(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = get_object_or_404(kind_of(kind).model, pk=pk)
    result = operations.check_target(target, user=request.user, source="web")
    if result.ok:
        messages.success(request, f"Test passed: {result.detail}")
    else:
        code = f" (HTTP {result.response_code})" if result.response_code else ""
        messages.error(request, f"Test failed{code}: {result.detail}")
    return redirect("integration-edit", kind=kind, pk=pk)


@require_POST
@require_role(Role.ADMIN)
def remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    target = get_object_or_404(kind_of(kind).model, pk=pk)
    if request.POST.get("confirm") != target.name:
        messages.error(request, "Type the integration's name to confirm removing it.")
        return redirect("integration-edit", kind=kind, pk=pk)
    operations.remove_target(target, user=request.user, source="web")
    messages.success(request, f"Removed {target.name} and its delivery log.")
    return redirect("/settings/#integrations")


@require_POST
@require_role(Role.ADMIN)
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    d = get_object_or_404(Delivery, pk=pk)
    if operations.resend([d], user=request.user, source="web"):
        messages.success(request, f"Delivery #{pk} queued again.")
    else:
        messages.error(request, f"Delivery #{pk} is {d.status}: only failed deliveries are sent again.")
    return redirect("/settings/#deliveries")


def ticket_card(request: HttpRequest, finding: Finding) -> dict[str, Any]:
    """The finding's Jira tickets; with none, the connections an analyst may ask one from."""
    tickets = list(
        Ticket.objects.filter(pk__in=finding.tickets.values("pk"))
        .select_related("connection")
        .annotate(tracked=Count("findings"))
    )
    wanted = not tickets and has_role(request.user, Role.ANALYST)
    return {"tickets": tickets, "ticket_connections": operations.ticket_connections(finding) if wanted else []}


@require_POST
@require_role(Role.ANALYST)
def request_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """As POST /api/v1/integrations/tickets/: a finding the user may see, within the connection's filters."""
    finding = get_object_or_404(visible_findings(request), pk=pk)
    data = {"connection": request.POST.get("connection", ""), "finding": finding.pk}
    serializer = TicketRequestSerializer(data=data, context={"request": request})
    if not serializer.is_valid():
        messages.error(request, f"No ticket: {' '.join(errors_of(serializer.errors).values())}")
        return redirect("finding-detail", pk=pk)
    connection = serializer.validated_data["connection"]
    d = operations.request_ticket(connection, finding, user=request.user, source="web")
    ticket = Ticket.objects.filter(connection=connection, findings=finding).first()
    if ticket is not None:
        messages.success(request, f"Ticket {ticket.key} opened in {connection.name}.")
    elif d.status == DeliveryStatus.FAILED:
        messages.error(request, f"Jira refused the ticket: {d.error or d.result}")
    else:
        messages.success(request, f"Ticket requested from {connection.name}: it opens when Jira answers.")
    return redirect("finding-detail", pk=pk)


DELIVERY_PAGE = 25


def integrations_context(request: HttpRequest) -> dict[str, Any]:
    """For the Settings page (admins): every webhook and Jira connection, and a page of the delivery log."""
    webhooks = list(WebhookEndpoint.objects.prefetch_related("accounts"))
    connections = list(JiraConnection.objects.prefetch_related("accounts"))
    for kind, targets in (("webhook", webhooks), ("jira", connections)):
        for t in targets:
            t.kind = kind
    log = Delivery.objects.select_related("webhook", "jira").defer("payload", "webhook__secret_encrypted")
    log = log.defer("jira__token_encrypted")
    context: dict[str, Any] = {"integrations": sorted([*webhooks, *connections], key=lambda t: t.name)}
    try:
        context["deliveries"] = keyset_page(log, [("id", True)], request.GET.get("delivery_cursor"), DELIVERY_PAGE)
    except BadCursor as exc:
        context["problems"] = [str(exc)]
        context["deliveries"] = keyset_page(log, [("id", True)], None, DELIVERY_PAGE)
    return context
