"""Core object rules: namespaces (network policies, Pod Security Admission), service accounts, ConfigMaps,
Secrets, Services, node kubelet versions and node addresses, EKS's aws-auth mappings."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.kubernetes.context_index import names_by_namespace
from posture.rules.packs.kubernetes.settings import rule_settings
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, unreadable

NAMESPACE = "kubernetes.core.namespace"


CLUSTER = "kubernetes.cluster.cluster"


NO_WORKLOAD_NAMESPACES = {"kube-node-lease", "kube-public"}


PSA_ENFORCE = "pod-security.kubernetes.io/enforce"


VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def _namespace(resource: ResourceRecord) -> str:
    return str((resource.config.get("metadata") or {}).get("name", resource.name))


@rule(
    id="kubernetes.core.namespace_has_network_policy",
    title="Namespace has a network policy",
    severity="medium",
    category="network",
    resource_type=NAMESPACE,
    rationale="Without a NetworkPolicy every pod accepts traffic from every other pod in the cluster: "
    "one compromised workload reaches all the others.",
    remediation="Add a default-deny NetworkPolicy to the namespace, then allow the flows the application needs.",
)
def namespace_has_network_policy(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    name = _namespace(resource)
    if name in NO_WORKLOAD_NAMESPACES:
        return None
    policies = names_by_namespace(ctx, "kubernetes.networking.networkpolicy").get(name, [])
    return check(
        bool(policies),
        f"{len(policies)} network policies",
        f"namespace {name} has no network policy",
        Evidence("metadata.name", name),
        Evidence("networkPolicies", sorted(policies)),
    )


@rule(
    id="kubernetes.core.namespace_enforces_pod_security",
    title="Namespace enforces the baseline or restricted Pod Security Standard",
    severity="medium",
    category="workload",
    resource_type=NAMESPACE,
    rationale="Pod Security Admission only blocks privileged pods in namespaces labelled to enforce a profile.",
    remediation="Label the namespace pod-security.kubernetes.io/enforce=baseline (or restricted).",
    references=("https://kubernetes.io/docs/concepts/security/pod-security-admission/",),
)
def namespace_enforces_pod_security(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    name = _namespace(resource)
    if name == "kube-system" or name in NO_WORKLOAD_NAMESPACES:
        return None  # system namespaces run privileged node agents by design
    path = f"metadata.labels.{PSA_ENFORCE}"
    level = ((resource.config.get("metadata") or {}).get("labels") or {}).get(PSA_ENFORCE)
    return check(
        level in ("baseline", "restricted"),
        f"enforces {level}",
        f"namespace {name} does not enforce baseline or restricted",
        Evidence(path, level),
    )


@rule(
    id="kubernetes.core.default_service_account_not_mounted",
    title="Default service accounts do not mount their token",
    severity="low",
    category="identity",
    resource_type="kubernetes.core.serviceaccount",
    rationale="Every pod without a service account uses the namespace's default one; with automount on, "
    "each gets an API token it rarely needs.",
    remediation="Set automountServiceAccountToken: false on each namespace's default service account.",
)
def default_service_account_not_mounted(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if (resource.config.get("metadata") or {}).get("name") != "default":
        return None
    value = resource.config.get("automountServiceAccountToken")
    return check(
        value is False,
        "automount is off",
        "the default service account mounts its token",
        Evidence("automountServiceAccountToken", value),
    )


@rule(
    id="kubernetes.core.configmap_holds_no_secrets",
    title="ConfigMap holds no secret-looking data",
    severity="high",
    category="encryption",
    resource_type="kubernetes.core.configmap",
    rationale="ConfigMaps are not secret: readable by more roles, unencrypted at rest, shown by kubectl. "
    "(Posture keeps only the key names, never the values.)",
    remediation="Move the values into a Secret (or an external secret store) and reference it.",
)
def configmap_holds_no_secrets(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    flagged = resource.config.get("_secretLookingKeys") or []
    return check(
        not flagged,
        "no secret-looking keys or values",
        f"secret-looking keys: {', '.join(f['key'] for f in flagged)}",
        Evidence("_secretLookingKeys", flagged),
    )


@rule(
    id="kubernetes.core.no_long_lived_token_secrets",
    title="No long-lived service account token secrets",
    severity="medium",
    category="encryption",
    resource_type="kubernetes.core.secret",
    rationale="A kubernetes.io/service-account-token Secret holds a token that never expires; bound, "
    "projected tokens expire and are tied to a pod.",
    remediation="Delete the token Secret; use projected tokens (or kubectl create token) with an expiry.",
)
def no_long_lived_token_secrets(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    annotations = (resource.config.get("metadata") or {}).get("annotations") or {}
    account = annotations.get("kubernetes.io/service-account.name")
    kind = resource.config.get("type")
    is_token = kind == "kubernetes.io/service-account-token" or bool(account)
    return check(
        not is_token,
        "not a service account token",
        f"a long-lived token for service account {account}",
        Evidence("metadata.annotations.kubernetes.io/service-account.name", account),
        Evidence("type", kind),
    )


# The annotations (exact key, accepted values) by which each cloud's controller makes a load balancer internal;
# an annotation that merely mentions "internal" in its key (team/internal-notes: "true") makes nothing internal.
INTERNAL_LB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
    "service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
    "service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
    "networking.gke.io/load-balancer-type": {"internal"},
    "cloud.google.com/load-balancer-type": {"internal"},
    "service.beta.kubernetes.io/oci-load-balancer-internal": {"true"},
    "service.beta.kubernetes.io/openstack-internal-load-balancer": {"true"},
    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type": {"intranet"},
    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
}
SOURCE_RANGES_ANNOTATION = "service.beta.kubernetes.io/load-balancer-source-ranges"


@rule(
    id="kubernetes.core.service_not_exposed",
    title="Service is not exposed on node ports or an open load balancer",
    severity="medium",
    category="exposure",
    resource_type="kubernetes.core.service",
    rationale="NodePort services listen on every node; a LoadBalancer without source ranges is open to "
    "anyone who can reach its address, often the internet.",
    remediation="Use ClusterIP behind an Ingress, or set loadBalancerSourceRanges (or an internal load balancer).",
)
def service_not_exposed(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    spec = resource.config.get("spec") or {}
    kind = spec.get("type") or "ClusterIP"
    annotations = (resource.config.get("metadata") or {}).get("annotations") or {}
    internal = any(str(annotations.get(k, "")).strip().lower() in v for k, v in INTERNAL_LB_ANNOTATIONS.items())
    ranges = spec.get("loadBalancerSourceRanges") or []
    ranges_path = "spec.loadBalancerSourceRanges"
    if not ranges and annotations.get(SOURCE_RANGES_ANNOTATION):  # the older form of the same setting
        ranges = [r.strip() for r in str(annotations[SOURCE_RANGES_ANNOTATION]).split(",") if r.strip()]
        ranges_path = f"metadata.annotations.{SOURCE_RANGES_ANNOTATION}"
    open_ranges = not ranges or any(str(r).strip() in ("0.0.0.0/0", "::/0") for r in ranges)
    exposed = kind == "NodePort" or (kind == "LoadBalancer" and open_ranges and not internal)
    return check(
        not exposed,
        f"{kind} service, not openly exposed",
        f"{kind} service open to any source",
        Evidence("spec.type", kind),
        Evidence(ranges_path, ranges or None),
    )


def _minor(version: Any) -> tuple[int, int] | None:
    match = VERSION.match(str(version or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


@rule(
    id="kubernetes.core.kubelet_version_current",
    title="Kubelet keeps up with the control plane",
    severity="medium",
    category="cluster",
    resource_type="kubernetes.core.node",
    rationale="A kubelet minor versions behind the control plane misses security fixes and runs outside "
    "the tested skew; old node images usually mean old kernels and runtimes too.",
    remediation="Upgrade the node (pool) to the control plane's version; the tolerated lag is the "
    "POSTURE_K8S_MAX_KUBELET_MINOR_LAG setting (default 1).",
)
def kubelet_version_current(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    clusters = ctx.resources(CLUSTER)
    if not clusters:
        return None
    control = clusters[0].config.get("version") or {}
    kubelet = ((resource.config.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion")
    plane, node = _minor(control.get("gitVersion")), _minor(kubelet)
    if plane is None or node is None:
        return None
    lag = (plane[1] - node[1]) if plane[0] == node[0] else 99
    allowed = rule_settings().max_kubelet_minor_lag
    return check(
        lag <= allowed,
        f"kubelet {kubelet}, control plane {control.get('gitVersion')}",
        f"kubelet {kubelet} is {lag} minor versions behind {control.get('gitVersion')} (allowed {allowed})",
        Evidence("status.nodeInfo.kubeletVersion", kubelet),
        Evidence("controlPlane.gitVersion", control.get("gitVersion")),
    )


def _public(address: Any) -> bool:
    try:
        return ipaddress.ip_address(str(address)).is_global
    except ValueError:
        return False  # a host name, or junk: not an address the internet routes


@rule(
    id="kubernetes.core.node_has_no_public_ip",
    title="Node has no public IP address",
    severity="medium",
    category="exposure",
    resource_type="kubernetes.core.node",
    rationale="A node with a public address puts its kubelet, its SSH and every hostPort and NodePort one "
    "security-group or firewall mistake away from the internet; private nodes reach out through NAT only.",
    remediation="Run the nodes in private subnets (EKS: node groups on subnets without public IPs; AKS: "
    "pools without --enable-node-public-ip; GKE: private nodes) and reach the internet through NAT.",
)
def node_has_no_public_ip(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    addresses = (resource.config.get("status") or {}).get("addresses") or []
    public = [
        a.get("address")
        for a in addresses
        if isinstance(a, dict) and a.get("type") == "ExternalIP" and _public(a.get("address"))
    ]
    return check(
        not public,
        "no public address",
        f"the node has the public address {', '.join(map(str, public))}",
        Evidence("status.addresses", addresses or None),
    )


@rule(
    id="kubernetes.core.aws_auth_grants_no_system_masters",
    title="EKS aws-auth maps no IAM identity into system:masters",
    severity="high",
    category="identity",
    resource_type="kubernetes.core.configmap",
    rationale="Members of system:masters pass every authorization check, RBAC or not: no binding can be "
    "removed to take their power away. An IAM role or user mapped into the group by the aws-auth ConfigMap "
    "is a cluster superuser for anyone who can assume it, invisible to every RBAC review.",
    remediation="Map the identity to a group of your own bound to the role it needs (or use an EKS access "
    "entry with an access policy), and remove system:masters from its groups.",
    references=("https://docs.aws.amazon.com/eks/latest/userguide/auth-configmap.html",),
)
def aws_auth_grants_no_system_masters(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if "_awsAuthMappings" not in resource.config:
        return None  # not kube-system/aws-auth
    mappings = resource.config.get("_awsAuthMappings") or []
    masters = [m.get("arn") for m in mappings if isinstance(m, dict) and "system:masters" in (m.get("groups") or [])]
    problem = unreadable(resource, "awsAuth", "the aws-auth mappings")
    if problem and not masters:
        return problem  # what could be read grants nothing; the rest is unknown
    return check(
        not masters,
        f"{len(mappings)} mappings, none into system:masters",
        f"mapped into system:masters: {', '.join(map(str, masters))}",
        Evidence("_awsAuthMappings", mappings),
    )
