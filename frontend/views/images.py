"""One image digest: every scanner's result with its vulnerabilities, and the workloads running it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse

from frontend.views.common import page
from frontend.views.workloads import visible_resources
from posture.access.scoping import scope
from posture.images.in_use import digest_scans
from posture.inventory.images import DIGEST
from posture.inventory.models import CloudAccount
from posture.inventory.workloads import WORKLOAD_TYPE


def image_scan(request: HttpRequest, digest: str) -> HttpResponse:
    if len(digest) > 100 or not DIGEST.match(digest):
        raise Http404("not an image digest")
    workloads = visible_resources(request).filter(type=WORKLOAD_TYPE, gone_at__isnull=True)
    scans = digest_scans(digest, workloads.values_list("id", "account__name", "uid", "config"))
    visible = {None, *scope(CloudAccount.objects.all(), request.user, "").values_list("id", flat=True)}
    scans.results = [r for r in scans.results if r.account_id in visible]
    if not scans.results and not scans.running:
        raise Http404("no scan result nor running container for this digest")
    return page(request, "frontend/image_scan.html", {"s": scans})
