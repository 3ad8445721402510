"""GKE cluster rules for what benchmarks mark manual or "consider", as far as the cluster API shows them."""

from __future__ import annotations

from collectors.records import ResourceRecord
from posture.rules.registry import field_rule, rule
from posture.rules.verdicts import Verdict, check, lookup, observed

CLUSTER = "gcp.container.cluster"


@rule(
    id="gcp.container.cluster_google_groups_rbac",
    title="GKE uses Google Groups for RBAC",
    severity="low",
    category="identity",
    resource_type=CLUSTER,
    rationale="Granting RBAC to groups keeps access in one directory and removes it when people leave.",
    remediation="Enable Google Groups for RBAC with a gke-security-groups@ group of your domain.",
)
def google_groups(resource: ResourceRecord, ctx) -> Verdict:
    c = resource.config
    return check(
        lookup(c, "authenticatorGroupsConfig.enabled") is True
        and bool(lookup(c, "authenticatorGroupsConfig.securityGroup")),
        "Google Groups for RBAC is on",
        "Google Groups for RBAC is off",
        observed(c, "authenticatorGroupsConfig.enabled"),
        observed(c, "authenticatorGroupsConfig.securityGroup"),
    )


field_rule(
    id="gcp.container.cluster_secret_manager",
    title="GKE Secret Manager add-on is enabled (external secret storage)",
    severity="low",
    category="encryption",
    resource_type=CLUSTER,
    path="secretManagerConfig.enabled",
    expect=True,
    ok="the Secret Manager add-on is on",
    bad="the Secret Manager add-on is off",
    rationale="Secrets kept in Secret Manager are versioned, audited and rotated outside the cluster.",
    remediation="Enable the Secret Manager add-on (secretManagerConfig.enabled) and mount secrets from it.",
)


@rule(
    id="gcp.container.cluster_sandbox_node_pool",
    title="GKE cluster has a GKE Sandbox (gVisor) node pool for untrusted workloads",
    severity="low",
    category="workload",
    resource_type=CLUSTER,
    rationale="gVisor puts a user-space kernel between untrusted containers and the node.",
    remediation="Add a node pool with sandboxConfig.type GVISOR and schedule untrusted workloads on it.",
)
def sandbox(resource: ResourceRecord, ctx) -> Verdict:
    pools = [
        p.get("name")
        for p in resource.config.get("nodePools") or []
        if lookup(p, "config.sandboxConfig.type") == "GVISOR"
    ]
    return check(
        bool(pools),
        "a gVisor node pool exists",
        "no node pool runs GKE Sandbox",
        ("nodePools[sandboxConfig.type=GVISOR]", pools),
    )
