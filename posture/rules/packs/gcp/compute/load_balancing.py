"""Load balancers: backend service logging and the TLS of HTTPS and SSL proxies."""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.gcp.helpers import resource_path, same_project
from posture.rules.registry import rule
from posture.rules.verdicts import Verdict, check, errored, observed

# -- load balancing -----------------------------------------------------------
BACKEND_SERVICE = "gcp.compute.backend_service"
HTTP_PROTOCOLS = ("HTTP", "HTTPS", "HTTP2", "H2C")
HTTP_LB_SCHEMES = ("EXTERNAL", "EXTERNAL_MANAGED", "INTERNAL_MANAGED")
WEAK_CIPHERS = (
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
)
STRONG_MIN_TLS = ("TLS_1_2", "TLS_1_3")


@rule(
    id="gcp.compute.backend_service_logging",
    title="HTTP(S) load balancer backend services log requests",
    severity="medium",
    category="logging",
    resource_type=BACKEND_SERVICE,
    rationale="Request logs of a load balancer are the record of who called what from where: needed to "
    "investigate an attack on the services behind it.",
    remediation="Enable logging on the backend service with a sample rate above 0 "
    "(gcloud compute backend-services update NAME --enable-logging --logging-sample-rate=1).",
)
def backend_service_logging(resource: ResourceRecord, ctx) -> Verdict | None:
    config = resource.config
    protocol = str(config.get("protocol") or "HTTP")
    if protocol not in HTTP_PROTOCOLS or str(config.get("loadBalancingScheme") or "EXTERNAL") not in HTTP_LB_SCHEMES:
        return None  # not behind an HTTP(S) load balancer
    raw = config.get("logConfig")
    log_config: dict[str, Any] = raw if isinstance(raw, dict) else {}
    rate = log_config.get("sampleRate", 1.0)
    on = log_config.get("enable") is True and not (isinstance(rate, int | float) and rate <= 0)
    return check(
        on,
        "the backend service logs requests",
        "the backend service logs no requests" + (" (sample rate 0)" if log_config.get("enable") is True else ""),
        observed(config, "logConfig.enable"),
        observed(config, "logConfig.sampleRate"),
    )


def weak_tls(policy: dict[str, Any]) -> list[str]:
    """What makes an SSL policy accept weak TLS: an old minimum version, a compatible profile, weak ciphers."""
    profile = str(policy.get("profile") or "COMPATIBLE")
    minimum = str(policy.get("minTlsVersion") or "TLS_1_0")
    problems = []
    if profile == "COMPATIBLE":
        problems.append("profile COMPATIBLE")
    if profile in ("MODERN", "CUSTOM", "COMPATIBLE") and minimum not in STRONG_MIN_TLS:
        problems.append(f"minTlsVersion {minimum}")
    if profile == "CUSTOM":
        features = {str(f) for f in (policy.get("customFeatures") or []) + (policy.get("enabledFeatures") or [])}
        problems += [f"cipher {c}" for c in WEAK_CIPHERS if c in features]
    return problems


def _proxy_tls(resource: ResourceRecord, ctx: RuleContext) -> Verdict:
    url = resource.config.get("sslPolicy")
    if not url:
        return check(
            False,
            "",
            "the proxy uses Google's default SSL policy (COMPATIBLE, TLS 1.0)",
            observed(resource.config, "sslPolicy"),
        )
    policy = next(
        (
            p
            for p in same_project(ctx, "gcp.compute.ssl_policy", resource)
            if resource_path(p.config.get("selfLink")) == resource_path(url)
        ),
        None,
    )
    if policy is None:
        return errored("the proxy's SSL policy was not read", observed(resource.config, "sslPolicy"))
    problems = weak_tls(policy.config)
    return check(
        not problems,
        f"SSL policy {policy.name} allows only strong TLS",
        f"SSL policy {policy.name} allows weak TLS: {', '.join(problems)}",
        observed(resource.config, "sslPolicy"),
        ("sslPolicy.weaknesses", problems),
    )


@rule(
    id="gcp.compute.target_https_proxy_strong_tls",
    title="HTTPS load balancer proxies use an SSL policy without weak TLS versions or ciphers",
    severity="medium",
    category="encryption",
    resource_type="gcp.compute.target_https_proxy",
    rationale="TLS 1.0 and 1.1 and the RSA key-exchange and CBC cipher suites let an attacker on the path "
    "downgrade or decrypt traffic.",
    remediation="Attach an SSL policy with profile MODERN and minimum TLS 1.2, profile RESTRICTED, or a CUSTOM "
    "profile without the weak cipher suites.",
)
def target_https_proxy_tls(resource: ResourceRecord, ctx) -> Verdict:
    return _proxy_tls(resource, ctx)


@rule(
    id="gcp.compute.target_ssl_proxy_strong_tls",
    title="SSL proxy load balancers use an SSL policy without weak TLS versions or ciphers",
    severity="medium",
    category="encryption",
    resource_type="gcp.compute.target_ssl_proxy",
    rationale="TLS 1.0 and 1.1 and the RSA key-exchange and CBC cipher suites let an attacker on the path "
    "downgrade or decrypt traffic.",
    remediation="Attach an SSL policy with profile MODERN and minimum TLS 1.2, profile RESTRICTED, or a CUSTOM "
    "profile without the weak cipher suites.",
)
def target_ssl_proxy_tls(resource: ResourceRecord, ctx) -> Verdict:
    return _proxy_tls(resource, ctx)
