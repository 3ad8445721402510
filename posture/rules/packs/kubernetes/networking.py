"""Networking rules: Ingresses terminate TLS."""

from __future__ import annotations

from posture.rules.registry import field_rule

field_rule(
    id="kubernetes.networking.ingress_uses_tls",
    title="Ingress terminates TLS",
    severity="medium",
    category="exposure",
    resource_type="kubernetes.networking.ingress",
    path="spec.tls",
    expect=bool,
    ok="TLS configured",
    bad="no TLS on this Ingress",
    rationale="An Ingress without TLS serves the application in clear text.",
    remediation="Add spec.tls with a certificate Secret (cert-manager can issue one) for every host.",
)
