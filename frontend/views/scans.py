"""Scans: history with state, duration and progress (polled while running); start and cancel."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from collectors.failures import log_failure
from frontend.paging import BadCursor, keyset_page
from frontend.views.common import is_htmx, page, posted_account, require_role, visible_accounts
from posture.access.audit import record
from posture.access.roles import Role
from posture.access.scoping import scope
from posture.scans.models import ACTIVE_STATES, Scan, ScanState
from posture.scans.pipeline import QueueUnavailable, ScanRefused, cancel_scan
from posture.scans.tasks import start_scan

PAGE_SIZE = 50

log = logging.getLogger(__name__)


def visible_scans(request: HttpRequest, *related: str) -> QuerySet:
    """Scans of the accounts the user's teams may see; another team's scan is as missing as no scan."""
    return scope(Scan.objects.select_related("account", *related), request.user)


def scans(request: HttpRequest) -> HttpResponse:
    qs = visible_scans(request, "requested_by").defer("account__credentials_encrypted")
    account = request.GET.get("account", "")
    state = request.GET.get("state", "")
    problems = []
    if account:
        qs = qs.filter(account__name=account)
    if state:
        if state in ScanState.values:
            qs = qs.filter(state=state)
        else:
            problems.append(f"state {state!r} is not one of {', '.join(ScanState.values)}")
    try:
        result = keyset_page(qs, [("id", True)], request.GET.get("cursor"), PAGE_SIZE)
    except BadCursor as exc:
        problems.append(str(exc))
        result = keyset_page(qs, [("id", True)], None, PAGE_SIZE)
    return page(
        request,
        "frontend/scans.html",
        {
            "page": result,
            "problems": problems,
            "account": account,
            "state": state,
            "states": ScanState.values,
            "accounts": visible_accounts(request).filter(enabled=True).order_by("name").values_list("pk", "name"),
            "account_names": visible_accounts(request).order_by("name").values_list("name", flat=True),
            "any_active": any(s.state in ACTIVE_STATES for s in result.rows),
        },
    )


def scan_row(request: HttpRequest, pk: int) -> HttpResponse:
    """One row, re-fetched by htmx every few seconds while the scan is queued or running."""
    scan = get_object_or_404(visible_scans(request, "requested_by"), pk=pk)
    return page(request, "frontend/partials/scan_row.html", {"s": scan})


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    scan = get_object_or_404(visible_scans(request, "requested_by"), pk=pk)
    return page(request, "frontend/scan_detail.html", {"s": scan})


@require_POST
@require_role(Role.ANALYST)
def start(request: HttpRequest) -> HttpResponse:
    account = posted_account(request, "account")
    if account is None:  # none chosen, no such account, or one of another team
        messages.error(request, "Choose an account to scan.")
        return redirect("scans")
    try:
        scan = start_scan(account, user=request.user, source="web")
    except (ScanRefused, QueueUnavailable) as exc:  # a scan the queue refused is listed as failed, same reason
        messages.error(request, f"Not started: {exc}.")
        return redirect("scans")
    except Exception as exc:  # anything else on the way to the queue: say so instead of an error page
        log_failure(log, logging.WARNING, f"scan of {account.name} could not be queued ({type(exc).__name__})", exc)
        messages.error(request, f"The scan could not be queued ({type(exc).__name__}).")
        return redirect("scans")
    level, text = start_message(scan, account.name)
    messages.add_message(request, level, text)
    return redirect("scans")


def start_message(scan: Scan, account_name: str) -> tuple[int, str]:
    """What became of a scan just handed on: queued or running (with a worker), or already finished (eager)."""
    scan.refresh_from_db(fields=["state", "message", "progress_done", "progress_total"])
    what = f"Scan {scan.pk} of {account_name}"
    if scan.state in ACTIVE_STATES:
        return messages.SUCCESS, f"{what} {scan.state}: its progress shows below."
    if scan.state == ScanState.FAILED:
        return messages.ERROR, f"{what} failed: {scan.message or 'see the scan'}."
    return messages.SUCCESS, f"{what} finished: {scan.state}."


@require_POST
@require_role(Role.ANALYST)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    scan = get_object_or_404(visible_scans(request), pk=pk)
    if cancel_scan(scan):
        record("scan.cancel", scan, user=request.user, source="web")
        messages.success(request, f"Scan {scan.pk} cancelled.")
    else:
        messages.info(request, f"Scan {scan.pk} had already finished ({scan.state}).")
    if is_htmx(request):
        return scan_row(request, pk)
    return redirect("scans")
