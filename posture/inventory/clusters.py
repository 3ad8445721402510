"""Managed clusters (EKS, AKS, GKE) a cloud account's scans found, and scanning inside them with its identity.

``cloud_clusters(account)`` lists the clusters of the account's inventory (its last scans) and which
``kubernetes`` accounts already scan inside them. ``add_cluster_account`` registers such a cluster as a
``kubernetes`` account *via* the cloud account: it stores no credentials of its own, it borrows the cloud
account's at connect time (see ``CloudAccount.target``), and it carries the label ``platform=eks|aks|gke``
(so its scans also score the managed-Kubernetes benchmark) and the cloud account's team.

A cloud account cannot be removed while clusters are scanned via it: remove those first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from collectors.cluster_access import PLATFORMS, ClusterRefError, cluster_ref_of_uid, parse_cluster_ref
from posture.access.audit import record
from posture.inventory.accounts import AccountInputError, check_common, check_new_name, check_provider, safe_detail
from posture.inventory.models import CloudAccount, Resource


@dataclass
class CloudCluster:
    ref: str  # what --cluster takes
    name: str
    region: str
    platform: str
    version: str
    scanned_as: list[str] = field(default_factory=list)


def _version(provider: str, config: dict[str, Any]) -> str:
    if provider == "aws":
        return str(config.get("version") or "")
    if provider == "azure":
        props = config.get("properties") or {}
        return str(props.get("currentKubernetesVersion") or props.get("kubernetesVersion") or "")
    return str(config.get("currentMasterVersion") or "")


def check_cloud_account(account: CloudAccount) -> str:
    """The platform (eks, aks, gke) of a cloud account's clusters; AccountInputError for any other account."""
    if account.provider not in PLATFORMS:
        raise AccountInputError(
            f"{account.name} is a {account.provider} account, not a cloud account (aws, azure or gcp) with managed "
            "clusters",
            "via",
        )
    return PLATFORMS[account.provider][0]


def cloud_clusters(account: CloudAccount) -> list[CloudCluster]:
    """The clusters the account's scans found (gone ones left out), each with the accounts scanning inside."""
    platform = check_cloud_account(account)
    record_type = PLATFORMS[account.provider][2]
    resources = Resource.objects.filter(account=account, type=record_type, gone_at__isnull=True).order_by("name")
    scanned: dict[str, list[str]] = {}
    for name, ref in CloudAccount.objects.filter(via=account).values_list("name", "via_cluster"):
        scanned.setdefault(ref.lower(), []).append(name)
    found = []
    for res in resources.only("uid", "name", "region", "config"):
        ref = cluster_ref_of_uid(account.provider, res.uid)
        found.append(CloudCluster(ref, res.name, res.region, platform, _version(account.provider, res.config or {})))
        found[-1].scanned_as = scanned.get(ref.lower(), [])
    return found


@dataclass
class ClusterAccountInput:
    name: str
    via: CloudAccount
    cluster: str
    endpoint_url: str = ""  # the API server, when it is reached other than at the address the cloud reports
    team: str | None = None  # default: the cloud account's team
    labels: dict[str, str] | None = None
    schedule: str = ""


def add_cluster_account(data: ClusterAccountInput, *, user: Any = None, source: str = "web") -> CloudAccount:
    """Register a managed cluster of ``data.via``'s inventory as a ``kubernetes`` account reached with its identity."""
    provider = check_provider("kubernetes")
    check_new_name(data.name)
    cloud = data.via
    platform = check_cloud_account(cloud)
    try:
        parse_cluster_ref(cloud.provider, data.cluster)
    except ClusterRefError as exc:
        raise AccountInputError(f"{exc} (the form for {cloud.provider} account {cloud.name})", "cluster") from None
    known = {c.ref.lower(): c for c in cloud_clusters(cloud)}
    wanted = cluster_ref_of_uid(cloud.provider, data.cluster.strip())
    found = known.get(wanted.lower())
    if found is None:
        if known:
            hint = f"; it knows: {', '.join(sorted(c.ref for c in known.values()))}"
        else:
            hint = f"; scan it first (python manage.py scan {cloud.name})"
        raise AccountInputError(
            f"{data.cluster!r} is not among the clusters {cloud.name}'s scans found{hint}", "cluster"
        )
    if found.scanned_as:
        raise AccountInputError(f"cluster {found.ref} is scanned already, as {', '.join(found.scanned_as)}", "cluster")
    check_common(provider, [], data.endpoint_url, data.schedule)
    labels = {**(data.labels or {}), "platform": platform}
    account = CloudAccount(
        provider=provider.name,
        name=data.name,
        endpoint_url=data.endpoint_url,
        team=cloud.team if data.team is None else data.team,
        labels=labels,
        scan_schedule=data.schedule,
        via=cloud,
        via_cluster=found.ref,
    )
    with transaction.atomic():
        account.save()
        detail = {**safe_detail(account, {}), "via": cloud.name, "cluster": found.ref}
        record("account.create", account, user=user, source=source, detail=detail)
    return account
