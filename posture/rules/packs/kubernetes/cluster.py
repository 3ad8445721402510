"""Cluster-wide rules: an admission policy engine and a runtime-security agent are installed; namespaces separate
the workloads."""

from __future__ import annotations

import re

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check

CLUSTER = "kubernetes.cluster.cluster"


POLICY_ENGINES = re.compile(r"kyverno|gatekeeper|kubewarden|polaris|datree|jspolicy|kube-policy|cnspec", re.I)


RUNTIME_AGENTS = re.compile(
    r"falco|sysdig|tetragon|tracee|neuvector|aqua|twistlock|prisma|defender|crowdstrike|falcon-sensor"
    r"|guardduty|aws-guardduty-agent|microsoft-defender|datadog-agent|wiz-sensor|lacework|kubearmor|stackrox",
    re.I,
)


def _matches(record: ResourceRecord, pattern: re.Pattern[str], extra: list[str]) -> bool:
    meta = record.config.get("metadata") or {}
    text = " ".join(
        [record.name, str(meta.get("namespace", "")), *map(str, (meta.get("labels") or {}).values()), *extra]
    )
    return bool(pattern.search(text))


@rule(
    id="kubernetes.cluster.policy_engine_installed",
    title="An admission policy engine is installed",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    rationale="Without a policy engine (Kyverno, Gatekeeper...) or admission policies nothing stops a "
    "non-compliant workload at deploy time; findings only come after the fact.",
    remediation="Install Kyverno or OPA Gatekeeper (or use ValidatingAdmissionPolicy) with policies for the "
    "controls above.",
)
def policy_engine_installed(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    engines = []
    for policy in ctx.resources("kubernetes.admission.policy"):
        services = [
            str(((h.get("clientConfig") or {}).get("service") or {}).get("namespace", ""))
            for h in policy.config.get("webhooks") or []
            if isinstance(h, dict)
        ]
        if policy.config.get("kind") == "ValidatingAdmissionPolicy" or _matches(policy, POLICY_ENGINES, services):
            engines.append(policy.uid)
    return check(
        bool(engines),
        f"policy engine webhooks: {', '.join(engines)}",
        "no admission policy engine found",
        Evidence("admissionPolicies", sorted(engines)),
    )


@rule(
    id="kubernetes.cluster.runtime_security_agent",
    title="A runtime-security agent runs on the nodes",
    severity="medium",
    category="cluster",
    resource_type=CLUSTER,
    rationale="Posture checks configuration; a runtime agent (Falco, a cloud provider's defender) sees "
    "what containers actually do: shells, crypto miners, escapes.",
    remediation="Deploy a runtime-security agent as a DaemonSet (Falco, Tetragon, GuardDuty runtime "
    "monitoring, Microsoft Defender for Containers...).",
)
def runtime_security_agent(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    agents = []
    for workload in ctx.resources("kubernetes.workloads.workload"):
        if workload.config.get("kind") != "DaemonSet":
            continue
        images = [
            str(c.get("image", ""))
            for c in (
                (((workload.config.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
            )
            if isinstance(c, dict)
        ]
        if _matches(workload, RUNTIME_AGENTS, images):
            agents.append(workload.uid)
    return check(
        bool(agents),
        f"runtime agents: {', '.join(agents)}",
        "no runtime-security agent DaemonSet found",
        Evidence("runtimeAgents", sorted(agents)),
    )


# Namespaces the platform itself creates and fills: they separate nothing the operator deployed.
PLATFORM_NAMESPACES = re.compile(r"^(kube-|gke-|gmp-|aks-|amazon-)|^(calico-system|tigera-operator)$")


@rule(
    id="kubernetes.cluster.workloads_separated_by_namespace",
    title="The cluster's workloads are placed in namespaces of their own",
    severity="low",
    category="cluster",
    resource_type=CLUSTER,
    rationale="A namespace is the boundary RBAC, quotas, network policies and Pod Security Admission are "
    "written for; a cluster whose workloads all share the default namespace has no administrative boundary "
    "between them at all.",
    remediation="Create a namespace per application or team, deploy each there, and grant access with "
    "RoleBindings in that namespace.",
)
def workloads_separated_by_namespace(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    placed: dict[str, int] = {}
    for workload in ctx.resources("kubernetes.workloads.workload"):
        namespace = str((workload.config.get("metadata") or {}).get("namespace") or "")
        if namespace and not PLATFORM_NAMESPACES.search(namespace):
            placed[namespace] = placed.get(namespace, 0) + 1
    if not placed:
        return None  # nothing deployed beside the platform's own: nothing to separate
    own = sorted(n for n in placed if n != "default")
    return check(
        bool(own),
        f"workloads are placed in {len(own)} namespaces of their own: {', '.join(own[:10])}",
        f"all {placed.get('default', 0)} workloads outside the platform's namespaces run in the default namespace",
        Evidence("workloadsPerNamespace", dict(sorted(placed.items()))),
    )


# The DaemonSets of the CNI plugins and policy agents that enforce NetworkPolicies, by image repository.
POLICY_DATAPLANES = re.compile(
    r"(^|/)(calico/node|cilium/cilium|antrea/antrea[\w-]*|cloudnativelabs/kube-router|weaveworks/weave-npc"
    r"|containernetworking/azure-npm)([:@]|$)"
)
# The Amazon VPC CNI runs its network policy agent in every aws-node pod; it enforces only when enabled.
AWS_POLICY_AGENT = re.compile(r"(^|/)amazon/aws-network-policy-agent([:@]|$)")
AWS_POLICY_ON = "--enable-network-policy=true"


def _policy_dataplanes(workload: ResourceRecord) -> list[str]:
    spec = ((workload.config.get("spec") or {}).get("template") or {}).get("spec") or {}
    found = []
    for container in spec.get("containers") or []:
        if not isinstance(container, dict):
            continue
        image = str(container.get("image", ""))
        args = [str(a) for a in (container.get("args") or []) + (container.get("command") or [])]
        if POLICY_DATAPLANES.search(image.split("@")[0]) or (AWS_POLICY_AGENT.search(image) and AWS_POLICY_ON in args):
            found.append(f"{workload.uid} ({image})")
    return found


@rule(
    id="kubernetes.cluster.network_policies_enforced",
    title="A network plugin that enforces NetworkPolicies runs on the nodes",
    severity="medium",
    category="network",
    resource_type=CLUSTER,
    rationale="The API server accepts NetworkPolicies whether or not anything enforces them: without a "
    "policy-enforcing plugin (Calico, Cilium, Antrea, the Amazon VPC CNI's policy agent when enabled, Azure "
    "NPM) every default-deny policy is silently ignored and every pod still reaches every other.",
    remediation="Enable the cloud's network policy support (EKS: the vpc-cni add-on's enableNetworkPolicy; "
    "GKE: Dataplane V2 or network policy enforcement; AKS: --network-policy) or install Calico or Cilium.",
)
def network_policies_enforced(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    engines = [
        found
        for workload in ctx.resources("kubernetes.workloads.workload")
        if workload.config.get("kind") == "DaemonSet"
        for found in _policy_dataplanes(workload)
    ]
    return check(
        bool(engines),
        f"NetworkPolicies are enforced by {', '.join(engines[:5])}",
        "no network plugin that enforces NetworkPolicies was found among the DaemonSets",
        Evidence("policyDataplanes", sorted(engines)),
    )
