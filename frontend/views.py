from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from posture.inventory.models import CloudAccount
from posture.scans.models import Scan


def home(request: HttpRequest) -> HttpResponse:
    accounts = CloudAccount.objects.annotate(
        failing=Count("findings", filter=Q(findings__status="FAIL", findings__muted=False))
    )
    scans = Scan.objects.select_related("account")[:10]
    return render(request, "frontend/home.html", {"accounts": accounts, "scans": scans})
