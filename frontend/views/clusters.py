"""Clusters: each managed or kubeconfig cluster as its container stack."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from frontend.clusters import stacks, summary_counts
from frontend.views.common import page


def clusters(request: HttpRequest) -> HttpResponse:
    items = stacks(request.user)
    return page(request, "frontend/clusters.html", {"stacks": items, "totals": summary_counts(items)})
