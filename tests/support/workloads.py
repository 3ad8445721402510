"""One stored Kubernetes workload in an account, for the page matrices (no cluster needed)."""

from __future__ import annotations

import hashlib

from django.utils import timezone

from posture.images.models import ImageScanResult
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


def stored_image_scan(account: CloudAccount) -> ImageScanResult:
    """An ECR basic scan result of the account's own image (its digest from the account name); made once."""
    digest = "sha256:" + hashlib.sha256(account.name.encode()).hexdigest()
    result, _ = ImageScanResult.objects.get_or_create(
        digest=digest,
        source="ecr-basic",
        defaults={
            "account": account,
            "registry": "registry.example.com",
            "repository": f"{account.name}/web",
            "scanned_at": timezone.now(),
            "critical": 1,
            "critical_fixable": 1,
            "vulnerabilities": [
                {
                    "id": "CVE-2024-0001",
                    "severity": "CRITICAL",
                    "package": "p",
                    "installed_version": "1",
                    "fixed_version": "2",
                    "title": "",
                    "url": "",
                }
            ],
            "updated_at": timezone.now(),
        },
    )
    return result
