"""Accounts: add, edit, test connection, remove; per-provider credential fields, write-only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from collectors import REGISTRY
from frontend.views.common import page, require_role, visible_accounts
from posture.access.roles import Role, has_role
from posture.access.scoping import scope
from posture.inventory.account_input import account_changes, new_account
from posture.inventory.accounts import AccountInputError, create_account, remove_account, test_account, update_account
from posture.inventory.models import CloudAccount, Schedule
from posture.scans.models import Scan

# The fields the form marks; an error about anything else (the account as a whole) goes beside the credentials.
FORM_FIELDS = ("provider", "name", "regions", "endpoint_url", "labels", "schedule", "credentials")


def form_field(exc: AccountInputError) -> str:
    """The form field an AccountInputError is about."""
    return exc.field if exc.field in FORM_FIELDS else "credentials"


def providers() -> list[dict[str, Any]]:
    """Each provider's credential fields the page may take: a server file path is the command line's."""
    return [
        {"name": n, "title": p.title or n, "fields": [f for f in p.credential_fields if not f.server_file]}
        for n in REGISTRY.provider_names()
        for p in [REGISTRY.provider(n)]
    ]


def _credentials(request: HttpRequest, provider: str) -> dict[str, str]:
    prefix = f"cred.{provider}."
    return {k[len(prefix) :]: v.strip() for k, v in request.POST.items() if k.startswith(prefix) and v.strip()}


def accounts(request: HttpRequest) -> HttpResponse:
    rows = list(
        visible_accounts(request)
        .select_related("via")
        .defer("credentials_encrypted", "via__credentials_encrypted")
        .order_by("name")
    )
    visible_scans = scope(Scan.objects.all(), request.user)
    latest = dict(visible_scans.values("account").annotate(last=Max("id")).values_list("account", "last"))
    scans = Scan.objects.in_bulk(list(latest.values()))
    for a in rows:
        a.last_scan = scans.get(latest.get(a.pk))
    return page(request, "frontend/accounts.html", {"accounts": rows})


def _posted_form(request: HttpRequest) -> dict[str, str]:
    """What was posted, minus the credential fields: a secret never goes back into a page's context."""
    return {k: v for k, v in request.POST.items() if not k.startswith("cred.")}


def _form_context(form: dict[str, Any], errors: dict[str, str], account: CloudAccount | None) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "account": account,
        "providers": providers(),
        "schedules": Schedule.choices,
    }


@require_role(Role.ADMIN)
def new(request: HttpRequest) -> HttpResponse:
    form = (
        {"provider": request.POST.get("provider", "aws"), **_posted_form(request)}
        if request.method == "POST"
        else {"provider": "aws"}
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            values = {**form, "credentials": _credentials(request, form.get("provider", ""))}
            account = create_account(new_account(values), user=request.user, source="web")
        except AccountInputError as exc:
            errors[form_field(exc)] = str(exc)
        else:
            messages.success(request, f"Account {account.name} added. Test the connection, then start a scan.")
            return redirect("account-edit", pk=account.pk)
    return page(request, "frontend/account_form.html", _form_context(form, errors, None), status=200)


@require_role(Role.VIEWER)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(visible_accounts(request), pk=pk)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not has_role(request.user, Role.ADMIN):
            raise PermissionDenied("changing an account needs the admin role")
        form = _posted_form(request)
        try:
            fields = ("regions", "endpoint_url", "schedule", "team", "labels")
            values = {
                **{name: form.get(name, "") for name in fields},
                "enabled": form.get("enabled") == "on",
                "credentials": _credentials(request, account.provider),
            }
            update_account(account, account_changes(values), user=request.user, source="web")
        except AccountInputError as exc:
            errors[form_field(exc)] = str(exc)
            account.refresh_from_db()
        else:
            messages.success(request, f"Saved {account.name}.")
            return redirect("account-edit", pk=account.pk)
    else:
        form = {
            "provider": account.provider,
            "name": account.name,
            "regions": ", ".join(account.regions or []),
            "endpoint_url": account.endpoint_url,
            "team": account.team,
            "labels": " ".join(f"{k}={v}" for k, v in (account.labels or {}).items()),
            "schedule": account.scan_schedule,
            "enabled": "on" if account.enabled else "",
        }
    context = _form_context(form, errors, account)
    context["latest_scan"] = (
        scope(Scan.objects.select_related("account", "requested_by"), request.user)
        .defer("account__credentials_encrypted")
        .filter(account=account)
        .order_by("-id")
        .first()
    )  # polled while queued or running, as on the scans page
    return page(request, "frontend/account_form.html", context)


@require_POST
@require_role(Role.ADMIN)
def test(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(visible_accounts(request), pk=pk)
    try:
        who = test_account(account, user=request.user, source="web")
        messages.success(request, f"Connected: {who}")
    except AccountInputError as exc:
        messages.error(request, str(exc))
    return redirect("account-edit", pk=pk)


@require_POST
@require_role(Role.ADMIN)
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(visible_accounts(request), pk=pk)
    if request.POST.get("confirm") != account.name:
        messages.error(request, "Type the account's name to confirm removing it.")
        return redirect("account-edit", pk=pk)
    try:
        counts = remove_account(account, user=request.user, source="web")
    except AccountInputError as exc:  # clusters are scanned via it
        messages.error(request, str(exc))
        return redirect("account-edit", pk=pk)
    messages.success(request, f"Removed {account.name} with {counts['findings']} findings and {counts['scans']} scans.")
    return redirect("accounts")
