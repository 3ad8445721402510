"""One stored Kubernetes workload in an account, for the page matrices (no cluster needed)."""

from __future__ import annotations

from django.utils import timezone

from posture.inventory.models import CloudAccount, Resource
from posture.inventory.workloads import WORKLOAD_TYPE


def stored_workload(account: CloudAccount) -> Resource:
    """A Deployment ``shop/web-<account>`` running ``registry.example.com/<account>/web:1``; made once."""
    now = timezone.now()
    name = f"web-{account.name}"
    spec = {"containers": [{"name": "web", "image": f"registry.example.com/{account.name}/web:1"}]}
    config = {
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": spec}},
    }
    resource, _ = Resource.objects.get_or_create(
        account=account,
        uid=f"shop/Deployment/{name}",
        defaults={
            "provider": "kubernetes",
            "service": "workloads",
            "region": "global",
            "type": WORKLOAD_TYPE,
            "name": name,
            "config": config,
            "config_hash": "x",
            "first_seen": now,
            "last_seen": now,
        },
    )
    return resource
