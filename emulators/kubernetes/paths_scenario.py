"""Workloads of the demo's GKE ``payments`` cluster that line up into exposure paths, and decoys of the same
shape with one hop broken (the identities are in :mod:`emulators.gcp.estate_paths`).

Namespace ``analytics``:

- **path**: Ingress ``reports`` -> Service ``reports`` -> Deployment ``report-builder`` (privileged) running as
  ``report-builder``, bound to ``report-builder@acme-prod`` -> ``roles/storage.admin`` on ``acme-prod-reports``;
- decoy, internal: Service ``batch`` is ClusterIP and no Ingress routes to it -> ``batch`` (privileged), same
  identity;
- decoy, hardened: LoadBalancer ``catalog`` -> ``catalog`` (passes the restricted profile), same identity;
- decoy, weak identity: LoadBalancer ``dashboards`` -> ``dashboards`` (privileged), bound to
  ``catalog-reader@acme-prod`` (``roles/viewer``: no data).

``fixed=True`` hardens the path's foothold: a rescan closes the path.
"""

from __future__ import annotations

from typing import Any

from emulators.gcp.estate_paths import CATALOG_READER, REPORT_BUILDER
from emulators.kubernetes.estate import DIGEST, Estate
from emulators.kubernetes.scenarios import container, hardened_spec

NAMESPACE = "analytics"
GKE_WI = "iam.gke.io/gcp-service-account"


def privileged_spec(name: str) -> dict[str, Any]:
    return {
        "serviceAccountName": name,
        "containers": [
            container(
                name,
                _image(name),
                securityContext={"privileged": True},
                resources={"limits": {"cpu": "1", "memory": "1Gi"}},
            )
        ],
    }


def _service(estate: Estate, name: str, kind: str, selects: str = "") -> None:
    spec = {"type": kind, "selector": {"app": selects or name}, "ports": [{"port": 80, "targetPort": 8080}]}
    estate.add("Service", name, NAMESPACE, spec=spec)


def _image(name: str) -> str:
    return f"europe-docker.pkg.dev/acme-prod/apps/{name}{DIGEST}"


def add_exposure_paths(estate: Estate, *, fixed: bool = False) -> None:
    """The namespace, its workloads, Services and Ingress; ``fixed``: the path's foothold is hardened (the path
    closes on the next scan)."""
    estate.add("Namespace", NAMESPACE, labels={"kubernetes.io/metadata.name": NAMESPACE}, status={"phase": "Active"})
    for name, email in (
        ("report-builder", REPORT_BUILDER),
        ("batch", REPORT_BUILDER),
        ("catalog", REPORT_BUILDER),
        ("dashboards", CATALOG_READER),
    ):
        estate.add("ServiceAccount", name, NAMESPACE, annotations={GKE_WI: email})
    builder = hardened_spec(_image("report-builder"), "report-builder") if fixed else privileged_spec("report-builder")
    estate.deployment(NAMESPACE, "report-builder", builder)
    estate.deployment(NAMESPACE, "batch", privileged_spec("batch"))
    estate.deployment(NAMESPACE, "catalog", hardened_spec(_image("catalog"), "catalog"))
    estate.deployment(NAMESPACE, "dashboards", privileged_spec("dashboards"))
    _service(estate, "reports", "ClusterIP", selects="report-builder")
    _service(estate, "batch", "ClusterIP")
    _service(estate, "catalog", "LoadBalancer")
    _service(estate, "dashboards", "LoadBalancer")
    backend = {"service": {"name": "reports", "port": {"number": 80}}}
    http = {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}
    tls = [{"hosts": ["reports.acme.example"], "secretName": "reports-tls"}]
    estate.add(
        "Ingress", "reports", NAMESPACE, spec={"tls": tls, "rules": [{"host": "reports.acme.example", "http": http}]}
    )


IRSA = "eks.amazonaws.com/role-arn"
ORDERS = "orders"


def eks_orders_estate(app_role: str, audit_role: str, *, fixed: bool = False) -> Estate:
    """The demo's EKS ``prod`` cluster, namespace ``orders``:

    - **path**: LoadBalancer ``storefront`` -> ``storefront`` (privileged) as ``storefront``, IRSA ``app_role``;
    - decoy, weak role: LoadBalancer ``audit`` -> ``audit`` (privileged), IRSA ``audit_role`` (reaches no bucket);
    - decoy, internal: ClusterIP ``ledger`` -> ``ledger`` (privileged), IRSA ``app_role``;
    - decoy, hardened: LoadBalancer ``status`` -> ``status`` (restricted profile), IRSA ``app_role``.

    ``fixed``: the storefront Service is made internal (ClusterIP): the path closes on the next scan.
    """
    from emulators.kubernetes.estate import KUBE_SYSTEM_UID

    estate = Estate()
    for ns in ("default", "kube-system", ORDERS):
        uid = KUBE_SYSTEM_UID if ns == "kube-system" else ""
        estate.add("Namespace", ns, uid=uid, labels={"kubernetes.io/metadata.name": ns}, status={"phase": "Active"})
        estate.add("ServiceAccount", "default", ns)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api"
    for name, role, spec in (
        ("storefront", app_role, None),
        ("audit", audit_role, None),
        ("ledger", app_role, None),
        ("status", app_role, hardened_spec(f"{image}{DIGEST}", "status")),
    ):
        estate.add("ServiceAccount", name, ORDERS, annotations={IRSA: role})
        spec = spec or {
            "serviceAccountName": name,
            "containers": [container(name, f"{image}{DIGEST}", securityContext={"privileged": True})],
        }
        estate.deployment(ORDERS, name, spec)
        kind = "ClusterIP" if name == "ledger" or (fixed and name == "storefront") else "LoadBalancer"
        ports = [{"port": 443, "targetPort": 8443}]
        estate.add("Service", name, ORDERS, spec={"type": kind, "selector": {"app": name}, "ports": ports})
    return estate
