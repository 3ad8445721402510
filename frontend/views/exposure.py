"""Internet exposure: what the internet can reach across AWS, Azure, Google Cloud and the clusters."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from frontend.views.common import page
from posture.findings.exposure import MAX_ENTRY_POINTS, MAX_FINDINGS, exposure

PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud", "kubernetes": "Kubernetes"}


def exposure_page(request: HttpRequest) -> HttpResponse:
    found = exposure(request.user)
    return page(
        request,
        "frontend/exposure.html",
        {
            "exposure": found,
            "groups": found.groups(),
            "providers": PROVIDERS,
            "limits": (MAX_FINDINGS, MAX_ENTRY_POINTS),
        },
    )
