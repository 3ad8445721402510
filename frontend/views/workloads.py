"""Images and workloads: which images run where in the scanned clusters, and one workload in full."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from collectors.image_scans import SEVERITIES
from frontend.views.common import page
from posture.access.scoping import scope
from posture.images.in_use import filtered, image_vulnerabilities
from posture.images.running import running_digests, scans_for_workload
from posture.inventory.images import matching
from posture.inventory.models import Resource
from posture.inventory.workloads import WORKLOAD_TYPE, image_uses, workload_view

MAX_IMAGES = 200


def visible_resources(request: HttpRequest):
    """Resources of the accounts the user's teams may see."""
    return scope(Resource.objects.all(), request.user)


def vulnerability_choice(request: HttpRequest) -> tuple[str | None, bool | None]:
    """``severity`` and ``fixable`` from the query string; values the form does not offer are ignored."""
    severity = request.GET.get("severity", "").upper()
    fixable = {"1": True, "0": False}.get(request.GET.get("fixable", ""))
    return (severity.lower() if severity in SEVERITIES else None), fixable


def images(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    severity, fixable = vulnerability_choice(request)
    uses = image_uses(visible_resources(request))
    found = filtered(image_vulnerabilities(matching(uses, query)), severity, fixable)
    context = {
        "images": found[:MAX_IMAGES],
        "shown_max": MAX_IMAGES,
        "found": len(found),
        "total": len(uses),
        "q": query,
        "severity": severity or "",
        "fixable": "" if fixable is None else str(int(fixable)),
        "severities": [s.lower() for s in SEVERITIES],
        "narrowed": bool(query or severity or fixable is not None),
    }
    return page(request, "frontend/images.html", context)


def workload(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(
        visible_resources(request).select_related("account").defer("account__credentials_encrypted"),
        pk=pk,
        type=WORKLOAD_TYPE,
    )
    scans = scans_for_workload(resource.config)
    running = running_digests(resource.config)
    image_scans = [(d, running[d], r) for d, r in scans.items()]
    return page(request, "frontend/workload_detail.html", {"w": workload_view(resource), "image_scans": image_scans})
