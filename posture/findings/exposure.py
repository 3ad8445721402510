"""Internet exposure across clouds: what the internet can reach, with the findings that say so.

Read from the stored findings, never recomputed: a resource is reachable when a rule of the
``exposure`` category fails on it (a public bucket, a security group, NSG or firewall rule open to
0.0.0.0/0, a public cluster endpoint or database, an exposed Service), or when it is an entry point
by its very type (an Ingress, an Application Gateway). A Service of type LoadBalancer or NodePort is
listed through its failing ``kubernetes.core.service_not_exposed`` finding: an internal load balancer or
one limited to known source ranges passes that rule, and is not the internet's to reach.
Three queries whatever the estate's size: the failing exposure findings, the entry points, and the workloads
with a critical vulnerability with a fix (footholds: marked on the Service or Ingress reaching them).
Muted findings stay listed (marked): muting accepts a risk, it does not close the door.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from posture.access.scoping import scope
from posture.findings.footholds import footholds
from posture.findings.models import Finding, severity_rank
from posture.inventory.models import Resource
from posture.rules.registry import rules_in_category
from posture.rules.verdicts import Status

# Kinds in the order the page shows them: (id, label).
KINDS = (
    ("storage", "Public storage"),
    ("firewall", "Firewall rules open to the internet"),
    ("load_balancer", "Load balancers and exposed Services"),
    ("ingress", "Ingresses"),
    ("cluster_endpoint", "Public cluster endpoints"),
    ("database", "Public databases"),
    ("nodes", "Instances and nodes with public addresses"),
    ("registry", "Registries"),
    ("keys_and_messaging", "Keys, vaults and topics open to anyone"),
    ("other", "Other"),
)
KIND_LABELS = dict(KINDS)
TYPE_KINDS = {
    "aws.s3.bucket": "storage",
    "aws.s3.account": "storage",
    "azure.storage.account": "storage",
    "azure.storage.blob_container": "storage",
    "gcp.storage.bucket": "storage",
    "aws.ec2.security_group": "firewall",
    "aws.ec2.network_acl": "firewall",
    "azure.network.security_group": "firewall",
    "gcp.compute.firewall": "firewall",
    "azure.network.application_gateway": "load_balancer",
    "kubernetes.core.service": "load_balancer",
    "kubernetes.networking.ingress": "ingress",
    "aws.eks.cluster": "cluster_endpoint",
    "azure.aks.managed_cluster": "cluster_endpoint",
    "gcp.container.cluster": "cluster_endpoint",
    "aws.rds.db_instance": "database",
    "gcp.sql.instance": "database",
    "aws.eks.nodegroup": "nodes",
    "azure.aks.agent_pool": "nodes",
    "gcp.compute.instance": "nodes",
    "azure.acr.registry": "registry",
    "aws.kms.key": "keys_and_messaging",
    "gcp.kms.crypto_key": "keys_and_messaging",
    "azure.keyvault.vault": "keys_and_messaging",
    "aws.sns.topic": "keys_and_messaging",
}
STORAGE_SUFFIXES = (".bucket", ".blob_container")
# Entry points by type alone, listed even with no failing finding.
ENTRY_POINT_TYPES = ("kubernetes.networking.ingress", "azure.network.application_gateway")
MAX_FINDINGS = 5000
MAX_ENTRY_POINTS = 1000
FINDING_FIELDS = (
    "id",
    "rule_id",
    "severity",
    "message",
    "muted",
    "resource_id",
    "resource__uid",
    "resource__name",
    "resource__type",
    "resource__region",
    "account__name",
    "account__provider",
)
RESOURCE_FIELDS = ("id", "uid", "name", "type", "region", "account__name", "account__provider")


def kind_of(resource_type: str) -> str:
    if resource_type in TYPE_KINDS:
        return TYPE_KINDS[resource_type]
    return "storage" if resource_type.endswith(STORAGE_SUFFIXES) else "other"


@dataclass
class ExposedResource:
    """One reachable resource and its failing exposure findings (worst first)."""

    id: int
    uid: str
    name: str
    type: str
    region: str
    account: str
    provider: str
    kind: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    footholds: list[dict[str, Any]] = field(default_factory=list)  # vulnerable workloads it reaches

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class Exposure:
    resources: list[ExposedResource]
    truncated: bool

    def groups(self) -> list[tuple[str, str, list[ExposedResource]]]:
        """(kind, label, resources) for every kind with something in it, in ``KINDS`` order."""
        by_kind: dict[str, list[ExposedResource]] = {}
        for r in self.resources:
            by_kind.setdefault(r.kind, []).append(r)
        return [(kind, label, by_kind[kind]) for kind, label in KINDS if kind in by_kind]

    def providers(self) -> list[str]:
        return sorted({r.provider for r in self.resources})


def _resource(row: dict[str, Any], prefix: str = "") -> ExposedResource:
    rtype = row[f"{prefix}type"]
    return ExposedResource(
        id=row["resource_id" if prefix else "id"],
        uid=row[f"{prefix}uid"],
        name=row[f"{prefix}name"] or row[f"{prefix}uid"],
        type=rtype,
        region=row[f"{prefix}region"],
        account=row["account__name"],
        provider=row["account__provider"],
        kind=kind_of(rtype),
    )


def failing_exposure_findings(user: Any) -> list[dict[str, Any]]:
    """Query 1: the failing findings of exposure rules the user may see, worst first, at most MAX_FINDINGS + 1."""
    qs = scope(Finding.objects.all(), user).filter(
        status=Status.FAIL, rule_id__in=sorted(rules_in_category("exposure")), resource__gone_at__isnull=True
    )
    qs = qs.annotate(rank=severity_rank()).order_by("rank", "resource_id", "id")
    return list(qs.values(*FINDING_FIELDS)[: MAX_FINDINGS + 1])


def entry_points(user: Any) -> list[dict[str, Any]]:
    """Query 2: Ingresses and application gateways, at most MAX_ENTRY_POINTS + 1."""
    qs = scope(Resource.objects.all(), user).filter(type__in=ENTRY_POINT_TYPES, gone_at__isnull=True)
    return list(qs.order_by("type", "account_id", "uid").values(*RESOURCE_FIELDS)[: MAX_ENTRY_POINTS + 1])


def exposure(user: Any) -> Exposure:
    """Everything reachable from the internet that ``user`` may see, in three queries (four when a running
    workload behind it has a critical vulnerability with a fix: a foothold, see :mod:`footholds`)."""
    findings, points = failing_exposure_findings(user), entry_points(user)
    truncated = len(findings) > MAX_FINDINGS or len(points) > MAX_ENTRY_POINTS
    found: dict[int, ExposedResource] = {}
    for row in findings[:MAX_FINDINGS]:
        resource = found.setdefault(row["resource_id"], _resource(row, prefix="resource__"))
        resource.findings.append(
            {k: row[k] for k in ("id", "rule_id", "severity", "message", "muted")},
        )
    for row in points[:MAX_ENTRY_POINTS]:
        found.setdefault(row["id"], _resource(row))
    for resource_id, workloads in footholds(user, set(found)).items():
        found[resource_id].footholds = workloads
    return Exposure(resources=list(found.values()), truncated=truncated)
