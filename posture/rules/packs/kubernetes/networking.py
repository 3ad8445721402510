"""Networking rules: Ingresses terminate TLS (in spec.tls or at the cloud load balancer their controller makes),
and GKE's load balancers serve Google-managed certificates."""

from __future__ import annotations

import json
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, failed, manual, passed

INGRESS = "kubernetes.networking.ingress"
ALB_CERTIFICATE = "alb.ingress.kubernetes.io/certificate-arn"
ALB_LISTEN_PORTS = "alb.ingress.kubernetes.io/listen-ports"
GKE_MANAGED = "networking.gke.io/managed-certificates"
GKE_PRE_SHARED = "ingress.gcp.kubernetes.io/pre-shared-cert"
AGIC_CERTIFICATE = "appgw.ingress.kubernetes.io/appgw-ssl-certificate"
# Annotations by which a cloud's ingress controller puts a certificate on the load balancer it creates
CERTIFICATE_ANNOTATIONS = (ALB_CERTIFICATE, GKE_MANAGED, GKE_PRE_SHARED, AGIC_CERTIFICATE)
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
GKE_CLASSES = {"gce", "gce-internal"}


def _annotations(resource: ResourceRecord) -> dict[str, Any]:
    annotations = (resource.config.get("metadata") or {}).get("annotations")
    return annotations if isinstance(annotations, dict) else {}


def _alb_without_https(annotations: dict[str, Any]) -> bool:
    """An ALB whose listen-ports name no HTTPS listener: its certificate is never served."""
    try:
        ports = json.loads(str(annotations.get(ALB_LISTEN_PORTS)))
    except ValueError:
        return False  # unset or unreadable: the controller's default (HTTPS where a certificate is set)
    return isinstance(ports, list) and not any(isinstance(p, dict) and "HTTPS" in p for p in ports)


@rule(
    id="kubernetes.networking.ingress_uses_tls",
    title="Ingress terminates TLS",
    severity="medium",
    category="exposure",
    resource_type=INGRESS,
    rationale="An Ingress without TLS serves the application in clear text. TLS is either in spec.tls (a "
    "certificate Secret) or put on the cloud load balancer by its controller (an ACM certificate on an ALB, "
    "a Google-managed or pre-shared certificate on GKE, an Application Gateway certificate).",
    remediation="Add spec.tls with a certificate Secret (cert-manager can issue one) for every host, or the "
    "controller's certificate annotation (alb.ingress.kubernetes.io/certificate-arn, "
    "networking.gke.io/managed-certificates).",
)
def ingress_uses_tls(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    annotations = _annotations(resource)
    tls = (resource.config.get("spec") or {}).get("tls")
    named = {k: annotations[k] for k in CERTIFICATE_ANNOTATIONS if str(annotations.get(k) or "").strip()}
    evidence = [Evidence("spec.tls", tls), *(Evidence(f"metadata.annotations.{k}", v) for k, v in named.items())]
    if tls:
        return passed("TLS configured in spec.tls", *evidence)
    if named and set(named) == {ALB_CERTIFICATE} and _alb_without_https(annotations):
        listen = Evidence(f"metadata.annotations.{ALB_LISTEN_PORTS}", annotations.get(ALB_LISTEN_PORTS))
        return failed("the ALB has a certificate but listens on HTTP only", *evidence, listen)
    return check(
        bool(named),
        f"the load balancer's controller serves a certificate ({', '.join(named)})",
        "no TLS on this Ingress",
        *evidence,
    )


def _gke_ingress(resource: ResourceRecord, ctx: RuleContext) -> bool:
    """Whether GKE's own ingress controller serves the Ingress (its class, or no class on a GKE cluster)."""
    spec_class = (resource.config.get("spec") or {}).get("ingressClassName")
    annotated = _annotations(resource).get(CLASS_ANNOTATION)
    if spec_class or annotated:
        return str(spec_class or annotated) in GKE_CLASSES
    clusters = ctx.resources("kubernetes.cluster.cluster")
    version = str((clusters[0].config.get("version") or {}).get("gitVersion") or "") if clusters else ""
    return "-gke." in version


@rule(
    id="kubernetes.networking.ingress_google_managed_certificates",
    title="GKE Ingress serves Google-managed certificates",
    severity="low",
    category="encryption",
    resource_type=INGRESS,
    rationale="Google-managed certificates are issued and renewed by Google: no private key in a Secret to "
    "leak or forget to rotate, no certificate that expires unnoticed. A certificate from spec.tls is "
    "self-managed: its key sits in the cluster and on the load balancer.",
    remediation="Create a ManagedCertificate (networking.gke.io/v1) for the hosts, name it in the "
    "networking.gke.io/managed-certificates annotation, and remove the spec.tls Secrets.",
    references=("https://cloud.google.com/kubernetes-engine/docs/how-to/managed-certs",),
)
def ingress_google_managed_certificates(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if not _gke_ingress(resource, ctx):
        return None  # another controller's Ingress: its certificates are not Google's to manage
    annotations = _annotations(resource)
    tls = (resource.config.get("spec") or {}).get("tls")
    secrets = [t.get("secretName") for t in tls or [] if isinstance(t, dict) and t.get("secretName")]
    managed, shared = annotations.get(GKE_MANAGED), annotations.get(GKE_PRE_SHARED)
    evidence = (
        Evidence(f"metadata.annotations.{GKE_MANAGED}", managed),
        Evidence(f"metadata.annotations.{GKE_PRE_SHARED}", shared),
        Evidence("spec.tls", tls),
    )
    if secrets:
        return failed(f"serves self-managed certificates from Secrets: {', '.join(map(str, secrets))}", *evidence)
    if shared:
        return manual("pre-shared certificates: whether Google manages them is the SslCertificate's type", *evidence)
    if managed:
        return passed(f"serves the Google-managed certificates {managed}", *evidence)
    return None  # no TLS at all: the Ingress-terminates-TLS rule judges that
