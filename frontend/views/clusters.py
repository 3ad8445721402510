"""Clusters: each managed or kubeconfig cluster as its container stack; scan inside one with its cloud's identity."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from collectors.cluster_access import cluster_ref_of_uid
from frontend.clusters import cluster_page, summary_counts
from frontend.views.common import page, posted_account, require_role
from frontend.views.scans import start_message
from posture.access.roles import Role
from posture.inventory.account_input import new_cluster_account
from posture.inventory.accounts import AccountInputError
from posture.inventory.clusters import add_cluster_account
from posture.scans.pipeline import QueueUnavailable, ScanRefused
from posture.scans.tasks import start_scan


def clusters(request: HttpRequest) -> HttpResponse:
    items = cluster_page(request.user)
    context = {"stacks": items.stacks, "platforms": items.platforms, "totals": summary_counts(items)}
    return page(request, "frontend/clusters.html", context)


@require_POST
@require_role(Role.ADMIN)
def scan_inside(request: HttpRequest) -> HttpResponse:
    """Add a managed cluster as a kubernetes account via its cloud account (as `accounts add --via`), and scan it."""
    cloud = posted_account(request, "via")
    if cloud is None:  # none given, no such account, or one of another team
        messages.error(request, "Choose a cluster of one of your cloud accounts.")
        return redirect("clusters")
    try:
        values = {
            "name": request.POST.get("name", ""),
            "cluster": cluster_ref_of_uid(cloud.provider, request.POST.get("cluster", "").strip()),
        }
        account = add_cluster_account(new_cluster_account(values, cloud), user=request.user, source="web")
    except AccountInputError as exc:
        messages.error(request, f"Not added: {exc}")
        return redirect("clusters")
    try:
        scan = start_scan(account, user=request.user, source="web")
    except (ScanRefused, QueueUnavailable) as exc:
        messages.error(request, f"Added {account.name}; its scan was not started: {exc}.")
        return redirect("clusters")
    where = f"inside {account.via_cluster}, with {cloud.name}'s identity"
    level, text = start_message(scan, account.name)
    messages.add_message(request, level, f"Added {account.name} ({where}). {text}")
    return redirect("clusters")
