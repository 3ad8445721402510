"""Drift: what one scan changed against the scan before it, in both directions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from frontend.views.common import page, pk_of
from posture.access.scoping import scope
from posture.scans.drift import drift
from posture.scans.models import Scan, ScanState

DONE = (ScanState.SUCCEEDED, ScanState.PARTIAL)
CHOICES = 50


def drift_page(request: HttpRequest) -> HttpResponse:
    visible = scope(Scan.objects.select_related("account"), request.user)
    finished = visible.filter(state__in=DONE).order_by("-id")
    choices = list(finished[:CHOICES])
    problems: list[str] = []
    raw = request.GET.get("scan", "")
    scan = None
    if raw:
        if raw.isascii() and raw.isdigit():
            pk = pk_of(raw)
            scan = visible.filter(pk=pk).first() if pk is not None else None
            if scan is None:  # missing, or another team's: the same answer either way
                raise Http404(f"no scan {raw}")
            if scan.state not in DONE:
                scan = None
        if scan is None:
            problems.append(f"No finished scan {raw!r}; showing the latest.")
    scan = scan or (choices[0] if choices else None)
    result = drift(scan) if scan else None
    previous = (
        Scan.objects.filter(account_id=scan.account_id, state__in=DONE, id__lt=scan.pk).order_by("-id").first()
        if scan
        else None
    )
    if scan and scan not in choices:
        choices.insert(0, scan)
    return page(
        request,
        "frontend/drift.html",
        {"scan": scan, "previous": previous, "d": result, "choices": choices, "problems": problems},
    )
