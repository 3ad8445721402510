"""Settings: mute rules, integrations, API tokens, users and roles, audit log."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from frontend.paging import BadCursor, keyset_page
from frontend.views.common import page, pk_of, require_role, visible_accounts
from frontend.views.integrations import integrations_context
from posture.access.audit import record
from posture.access.models import ApiToken, AuditLog
from posture.access.roles import ROLE_NAMES, Role, has_role, role_of
from posture.access.scoping import account_filter
from posture.access.tokens import issue_token
from posture.findings import triage
from posture.findings.export import FORMATS
from posture.findings.models import MuteRule
from posture.findings.mutes import MuteInputError, apply_mutes, validate

MUTES_SHOWN = 200
AUDIT_PAGE = 50


def visible_mutes(request: HttpRequest) -> QuerySet:
    """Rules across every account plus the rules of the user's accounts (as /api/v1/mutes/)."""
    q = account_filter(request.user, "account")
    qs = MuteRule.objects.all()
    return qs if q is None else qs.filter(q | Q(account__isnull=True))


def settings_page(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    mutes = visible_mutes(request).select_related("account", "created_by").order_by("-id")[:MUTES_SHOWN]
    context = {
        "mutes": mutes,
        "tokens": tokens,
        "new_key": request.session.pop("new_token_key", None),
        "accounts": visible_accounts(request).order_by("name").values_list("pk", "name"),
        "export_formats": sorted(FORMATS),
        "now": timezone.now(),
    }
    if has_role(request.user, Role.ADMIN):
        users = list(User.objects.order_by("username").select_related("totp_device").prefetch_related("groups"))
        for u in users:
            device = getattr(u, "totp_device", None)
            u.has_totp = device is not None and device.confirmed_at is not None
            names = {g.name for g in u.groups.all()}
            u.role_name = "admin" if u.is_superuser else next((n for n in reversed(ROLE_NAMES) if n in names), "none")
        context["users"] = users
        context["role_names"] = ROLE_NAMES
        context.update(integrations_context(request))
        try:
            context["audit"] = keyset_page(
                AuditLog.objects.select_related("actor"), [("id", True)], request.GET.get("audit_cursor"), AUDIT_PAGE
            )
        except BadCursor as exc:
            context["problems"] = [str(exc)]
            context["audit"] = keyset_page(AuditLog.objects.select_related("actor"), [("id", True)], None, AUDIT_PAGE)
    return page(request, "frontend/settings.html", context)


def _check_account(request: HttpRequest, account_id: int | None) -> None:
    """As POST /api/v1/mutes/: another team's account is as missing as none; every account is for admins."""
    if request.POST.get("account", "").strip():
        if account_id is None or not visible_accounts(request).filter(pk=account_id).exists():
            raise MuteInputError("no such account")
    elif not has_role(request.user, Role.ADMIN):
        raise MuteInputError("only admins mute across every account; choose an account")


@require_POST
@require_role(Role.ANALYST)
def mute_create(request: HttpRequest) -> HttpResponse:
    data = {
        "account_id": pk_of(request.POST.get("account")),
        "rule_id": request.POST.get("rule_id", "").strip(),
        "resource_pattern": request.POST.get("resource_pattern", "").strip(),
        "tag_key": request.POST.get("tag_key", "").strip(),
        "tag_value": request.POST.get("tag_value", "").strip(),
        "reason": request.POST.get("reason", "").strip(),
    }
    try:
        data["expires_at"] = triage.parse_expiry(request.POST.get("expires", ""))
        validate(data, timezone.now())
        _check_account(request, data["account_id"])
    except MuteInputError as exc:
        messages.error(request, f"Mute rule not created: {exc}")
        return redirect("/settings/#mutes")
    with transaction.atomic():
        rule = MuteRule.objects.create(created_by=request.user, **data)
        record(
            "mute.create",
            rule,
            user=request.user,
            source="web",
            detail={"rule_id": rule.rule_id, "pattern": rule.resource_pattern, "reason": rule.reason},
        )
    counts = apply_mutes(actor=request.user)
    messages.success(request, f"Mute rule #{rule.pk} created; {counts['muted']} finding(s) muted.")
    return redirect("/settings/#mutes")


@require_POST
@require_role(Role.ANALYST)
def mute_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(visible_mutes(request), pk=pk)
    if rule.account_id is None and not has_role(request.user, Role.ADMIN):
        raise PermissionDenied("only admins revoke a rule across every account")
    triage.revoke_rule(rule, user=request.user)
    messages.success(request, f"Mute rule #{pk} revoked.")
    return redirect("/settings/#mutes")


@require_POST
@require_role(Role.VIEWER)
def token_create(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    if not name or len(name) > 100:
        messages.error(request, "Give the token a name (up to 100 characters).")
        return redirect("/settings/#tokens")
    token, key = issue_token(request.user, name, read_only=request.POST.get("read_only") == "on")
    record("token.create", token, user=request.user, source="web", detail={"read_only": token.read_only})
    request.session["new_token_key"] = key  # shown once, on the next page, then gone
    return redirect("/settings/#tokens")


@require_POST
@require_role(Role.VIEWER)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record("token.revoke", token, user=request.user, source="web")
    messages.success(request, f"Token {token.name} revoked.")
    return redirect("/settings/#tokens")


@require_POST
@require_role(Role.ADMIN)
def user_role(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    wanted = request.POST.get("role", "")
    if wanted not in (*ROLE_NAMES, "none"):
        messages.error(request, f"Unknown role {wanted!r}.")
        return redirect("/settings/#users")
    if user == request.user:
        messages.error(request, "You cannot change your own role.")
        return redirect("/settings/#users")
    if user.is_superuser:
        messages.error(request, f"{user.username} is a superuser and always an admin.")
        return redirect("/settings/#users")
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=ROLE_NAMES))
        if wanted != "none":
            user.groups.add(Group.objects.get(name=wanted))
        record("user.role", user, user=request.user, source="web", detail={"role": wanted})
    user._posture_role = None
    messages.success(
        request, f"{user.username} is now {wanted if wanted != 'none' else 'without a role'} ({role_of(user).label})."
    )
    return redirect("/settings/#users")
