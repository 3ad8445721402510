"""Images and workloads: which images run where in the scanned clusters, and one workload in full."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from frontend.views.common import page
from posture.access.scoping import scope
from posture.inventory.images import matching
from posture.inventory.models import Resource
from posture.inventory.workloads import WORKLOAD_TYPE, image_uses, workload_view

MAX_IMAGES = 200


def visible_resources(request: HttpRequest):
    """Resources of the accounts the user's teams may see."""
    return scope(Resource.objects.all(), request.user)


def images(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    uses = image_uses(visible_resources(request))
    found = matching(uses, query)
    return page(
        request,
        "frontend/images.html",
        {"images": found[:MAX_IMAGES], "shown_max": MAX_IMAGES, "found": len(found), "total": len(uses), "q": query},
    )


def workload(request: HttpRequest, pk: int) -> HttpResponse:
    resource = get_object_or_404(
        visible_resources(request).select_related("account").defer("account__credentials_encrypted"),
        pk=pk,
        type=WORKLOAD_TYPE,
    )
    return page(request, "frontend/workload_detail.html", {"w": workload_view(resource)})
