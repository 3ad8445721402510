"""Drift: what changed between a scan and the previous one, the account's baseline or any other of its scans."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from frontend.views.common import page, pk_of, require_role
from posture.access.roles import Role
from posture.access.scoping import scope
from posture.scans.baseline import BaselineRefused, clear_baseline, mark_baseline
from posture.scans.diff import KINDS
from posture.scans.drift import DriftError, DriftFilters, baseline_of, drift_between, resolve_against
from posture.scans.models import Scan, ScanState

DONE = (ScanState.SUCCEEDED, ScanState.PARTIAL)
CHOICES = 50
PROVIDERS = ("aws", "azure", "gcp", "kubernetes")


def drift_page(request: HttpRequest) -> HttpResponse:
    visible = scope(Scan.objects.select_related("account"), request.user)
    finished = visible.filter(state__in=DONE).order_by("-id")
    problems: list[str] = []
    scan = chosen_scan(request, visible, finished, problems)
    filters = filters_of(request, problems)
    against = request.GET.get("against", "") or "previous"
    result, other = None, None
    if scan is not None:
        try:
            other = resolve_against(scan, against)
        except DriftError as exc:
            problems.append(f"{exc}; showing the previous scan instead.")
            against, other = "previous", resolve_against(scan, "previous")
        result = drift_between(scan, other, against, filters)
    choices = list(finished[:CHOICES])
    if scan and scan not in choices:
        choices.insert(0, scan)
    same_account = [c for c in choices if scan and c.account_id == scan.account_id and c.pk != scan.pk]
    if other is not None and other not in same_account:  # an older scan than the picker lists, chosen by id
        same_account.append(other)
    return page(
        request,
        "frontend/drift.html",
        {
            "scan": scan,
            "previous": other,
            "against": against,
            "d": result,
            "choices": choices,
            "same_account": same_account,
            "baseline": baseline_of(scan.account_id) if scan else None,
            "filters": filters,
            "providers": PROVIDERS,
            "kinds": list(KINDS),
            "problems": problems,
        },
    )


def chosen_scan(request: HttpRequest, visible: Any, finished: Any, problems: list[str]) -> Scan | None:
    """The scan asked for (404 when it is missing or another team's), else the latest (of an account)."""
    raw = request.GET.get("scan", "")
    if raw:
        if raw.isascii() and raw.isdigit():
            pk = pk_of(raw)
            scan = visible.filter(pk=pk).first() if pk is not None else None
            if scan is None:  # missing, or another team's: the same answer either way
                raise Http404(f"no scan {raw}")
            if scan.state in DONE:
                return scan
        problems.append(f"No finished scan {raw!r}; showing the latest.")
    account = pk_of(request.GET.get("account", ""))
    if account is not None:
        return finished.filter(account_id=account).first() or finished.first()
    return finished.first()


def filters_of(request: HttpRequest, problems: list[str]) -> DriftFilters:
    kind = request.GET.get("kind", "")
    if kind and kind not in KINDS:
        problems.append(f"Unknown kind of change {kind!r}; showing every kind.")
        kind = ""
    return DriftFilters(
        provider=request.GET.get("provider", "").strip(),
        type=request.GET.get("type", "").strip(),
        namespace=request.GET.get("namespace", "").strip(),
        kind=kind,
    )


@require_POST
@require_role(Role.ANALYST)
def baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the scan as its account's approved baseline, or (``clear``) stop it being one; audited."""
    scan = get_object_or_404(scope(Scan.objects.select_related("account"), request.user), pk=pk)
    if request.POST.get("clear"):
        clear_baseline(scan, user=request.user, source="web")
        messages.info(request, f"Scan {scan.pk} is no longer the baseline of {scan.account.name}.")
        return redirect(f"{reverse('drift')}?{urlencode({'scan': scan.pk})}")
    try:
        mark_baseline(scan, user=request.user, source="web")
        messages.success(request, f"Scan {scan.pk} is now the baseline of {scan.account.name}.")
    except BaselineRefused as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('drift')}?{urlencode({'scan': scan.pk, 'against': 'baseline'})}")
