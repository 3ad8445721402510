"""Stored Kubernetes workloads: the images they run, and one workload with its neighbours.

Reads ``Resource`` rows in a fixed number of queries whatever their number (the images page and the
API list share :func:`image_uses`); what a Service or an Ingress selects is worked out in plain functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from collectors.kubernetes.objects import WORKLOAD_TYPE, object_uid, pod_spec, template_path
from posture.findings.models import Finding
from posture.inventory.images import ContainerImage, ImageUse, Workload, ecr_pushes, images_in_use, workload_images
from posture.inventory.models import Resource

SERVICE_TYPE = "kubernetes.core.service"
INGRESS_TYPE = "kubernetes.networking.ingress"
SERVICE_ACCOUNT_TYPE = "kubernetes.core.serviceaccount"
ECR_REPOSITORY_TYPE = "aws.ecr.repository"


def current(resources: QuerySet, type_: str) -> QuerySet:
    """Resources of one type still present (a complete scan has not found them gone)."""
    return resources.filter(type=type_, gone_at__isnull=True)


def failing_counts(workloads: QuerySet) -> dict[int, int]:
    """Failing, unmuted findings per workload id: one query."""
    rows = (
        Finding.objects.filter(resource__in=workloads.values("id"), status="FAIL", muted=False)
        .values("resource_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["resource_id"]: r["n"] for r in rows}


def image_uses(resources: QuerySet) -> list[ImageUse]:
    """Every image the (scoped) ``resources`` run, with its workloads: three queries."""
    workloads = current(resources, WORKLOAD_TYPE)
    failing = failing_counts(workloads)
    rows = workloads.values_list("id", "account__name", "uid", "config")
    stored = [Workload(pk, account, uid, config, failing.get(pk, 0)) for pk, account, uid, config in rows]
    repositories = current(resources, ECR_REPOSITORY_TYPE).values_list("config", flat=True)
    return images_in_use(stored, ecr_pushes(repositories))


def template_labels(config: dict[str, Any]) -> dict[str, str]:
    """The labels of the pods a workload runs (its pod template's, or a bare pod's own)."""
    path = [*template_path(str(config.get("kind", ""))).split(".")[:-1], "metadata", "labels"]
    value: Any = config
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A Service's selector picks pods with every one of its labels; an empty selector picks none."""
    return bool(selector) and all(labels.get(str(k)) == str(v) for k, v in (selector or {}).items())


def ingress_backends(config: dict[str, Any]) -> set[str]:
    """The names of the Services an Ingress sends traffic to (default backend and every path)."""
    spec = config.get("spec") or {}
    backends = [spec.get("defaultBackend") or spec.get("backend") or {}]
    for rule in spec.get("rules") or []:
        backends += [p.get("backend") or {} for p in ((rule or {}).get("http") or {}).get("paths") or []]
    names = set()
    for backend in backends:
        name = (backend.get("service") or {}).get("name") or backend.get("serviceName")
        if name:
            names.add(str(name))
    return names


def ingress_hosts(config: dict[str, Any]) -> list[str]:
    return sorted({str(r["host"]) for r in (config.get("spec") or {}).get("rules") or [] if r and r.get("host")})


@dataclass
class WorkloadView:
    """One workload with what the page shows about it."""

    resource: Resource
    containers: list[ContainerImage]
    service_account: str
    service_account_resource: Resource | None
    services: list[Resource] = field(default_factory=list)
    ingresses: list[Resource] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def namespace(self) -> str:
        return str((self.resource.config.get("metadata") or {}).get("namespace", ""))

    @property
    def kind(self) -> str:
        return str(self.resource.config.get("kind", ""))

    @property
    def pods(self) -> list[dict[str, Any]]:
        return list(self.resource.config.get("_pods") or [])

    @property
    def pod_count(self) -> int:
        return int(self.resource.config.get("_podCount") or len(self.pods))

    @property
    def running_since(self) -> str | None:
        return self.resource.config.get("_oldestPodStart")

    @property
    def failing(self) -> int:
        return sum(1 for f in self.findings if f.status == "FAIL" and not f.muted)


def service_account_of(config: dict[str, Any]) -> str:
    spec = pod_spec(config) or {}
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def workload_view(resource: Resource) -> WorkloadView:
    """The workload's containers, service account, the Services and Ingresses reaching it, its findings:
    two queries (its namespace's neighbours, its findings)."""
    config = resource.config
    namespace = str((config.get("metadata") or {}).get("namespace", ""))
    neighbours = list(
        Resource.objects.filter(
            account_id=resource.account_id,
            type__in=(SERVICE_TYPE, INGRESS_TYPE, SERVICE_ACCOUNT_TYPE),
            uid__startswith=f"{namespace}/",
            gone_at__isnull=True,
        ).order_by("uid")
    )
    labels = template_labels(config)
    services = [r for r in neighbours if r.type == SERVICE_TYPE and selects(selector_of(r), labels)]
    names = {s.name for s in services}
    ingresses = [r for r in neighbours if r.type == INGRESS_TYPE and ingress_backends(r.config) & names]
    account_name = service_account_of(config)
    sa_uid = object_uid("ServiceAccount", account_name, namespace)
    findings = list(Finding.objects.filter(resource=resource).defer("search_text"))
    findings.sort(key=lambda f: (f.status != "FAIL", f.muted, severity_rank(f.severity), f.rule_id))
    return WorkloadView(
        resource=resource,
        containers=workload_images(config),
        service_account=account_name,
        service_account_resource=next((r for r in neighbours if r.uid == sa_uid), None),
        services=services,
        ingresses=ingresses,
        findings=findings,
    )


def selector_of(service: Resource) -> dict[str, Any]:
    selector = (service.config.get("spec") or {}).get("selector")
    return selector if isinstance(selector, dict) else {}


SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
