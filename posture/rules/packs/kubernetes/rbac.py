"""RBAC: who holds cluster-admin, secrets, wildcards, pod creation and escalation verbs.

Objects the API server bootstraps itself (label ``kubernetes.io/bootstrapping:
rbac-defaults``) are not the operator's choice; the role rules skip them.
"""

from __future__ import annotations

from typing import Any

from collectors.kubernetes.objects import BOOTSTRAP_LABEL
from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check

ROLE = "kubernetes.rbac.role"
BINDING = "kubernetes.rbac.binding"
ANONYMOUS = {"system:anonymous", "system:unauthenticated"}


def _bootstrapped(resource: ResourceRecord) -> bool:
    return ((resource.config.get("metadata") or {}).get("labels") or {}).get(BOOTSTRAP_LABEL) == "rbac-defaults"


def _rules(resource: ResourceRecord) -> list[tuple[int, dict[str, Any]]]:
    return [(i, r) for i, r in enumerate(resource.config.get("rules") or []) if isinstance(r, dict)]


def _grants(policy: dict[str, Any], resources: set[str], verbs: set[str], group: str = "") -> bool:
    """Whether one policy rule grants any of ``verbs`` on any of ``resources`` in API group ``group``."""
    groups = set(policy.get("apiGroups") or [])
    if not (groups & {group, "*"}):
        return False
    granted_resources = set(policy.get("resources") or [])
    granted_verbs = set(policy.get("verbs") or [])
    return bool((granted_resources & (resources | {"*"})) and (granted_verbs & (verbs | {"*"})))


def _role_check(resource: ResourceRecord, matches: Any, ok: str, bad: str) -> Verdict | None:
    if _bootstrapped(resource):
        return None
    offending = [Evidence(f"rules.{i}", r) for i, r in _rules(resource) if matches(r)]
    kind = Evidence("kind", resource.config.get("kind"))
    return check(not offending, ok, f"{bad}: {', '.join(e.path for e in offending)}", kind, *offending)


@rule(
    id="kubernetes.rbac.cluster_admin_bound_narrowly",
    title="cluster-admin is bound only to system:masters",
    severity="high",
    category="identity",
    resource_type=BINDING,
    rationale="cluster-admin is every permission on every object; each extra subject bound to it is a "
    "full-cluster compromise waiting for one leaked credential.",
    remediation="Bind a narrower ClusterRole (or namespaced Roles) to the subject and delete the "
    "cluster-admin binding.",
)
def cluster_admin_bound_narrowly(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    ref = resource.config.get("roleRef") or {}
    if ref.get("kind") != "ClusterRole" or ref.get("name") != "cluster-admin":
        return None
    others = [
        s
        for s in resource.config.get("subjects") or []
        if isinstance(s, dict) and not (s.get("kind") == "Group" and s.get("name") == "system:masters")
    ]
    return check(
        not others,
        "cluster-admin is bound to system:masters only",
        f"cluster-admin is bound to {', '.join(str(s.get('kind')) + ' ' + str(s.get('name')) for s in others)}",
        Evidence("roleRef.name", ref.get("name")),
        Evidence("subjects", resource.config.get("subjects")),
    )


@rule(
    id="kubernetes.rbac.no_anonymous_bindings",
    title="Nothing is bound to anonymous or unauthenticated users",
    severity="critical",
    category="identity",
    resource_type=BINDING,
    rationale="A binding to system:anonymous or system:unauthenticated grants its role to anyone who can "
    "reach the API server, without credentials.",
    remediation="Delete the binding or replace the subject with named users, groups or service accounts.",
)
def no_anonymous_bindings(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    if _bootstrapped(resource):
        return None
    subjects = resource.config.get("subjects") or []
    anonymous = [s for s in subjects if isinstance(s, dict) and s.get("name") in ANONYMOUS]
    return check(
        not anonymous,
        "no anonymous subjects",
        f"{resource.config.get('roleRef', {}).get('name')} is granted to {', '.join(s['name'] for s in anonymous)}",
        Evidence("subjects", subjects),
        Evidence("roleRef.name", (resource.config.get("roleRef") or {}).get("name")),
    )


@rule(
    id="kubernetes.rbac.secrets_access_minimized",
    title="Role does not grant read access to secrets",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="get, list or watch on secrets reads every credential in scope, service account tokens included.",
    remediation="Remove secrets from the role's resources, or limit it to the named secrets (resourceNames) it needs.",
)
def secrets_access_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(
        resource,
        lambda r: _grants(r, {"secrets"}, {"get", "list", "watch"}) and not r.get("resourceNames"),
        "no read access to secrets",
        "grants read access to secrets",
    )


@rule(
    id="kubernetes.rbac.no_wildcards",
    title="Role uses no wildcards",
    severity="medium",
    category="identity",
    resource_type=ROLE,
    rationale="A wildcard grants today's and every future resource or verb, including ones added by CRDs.",
    remediation="List the API groups, resources and verbs the subject needs instead of '*'.",
)
def no_wildcards(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(
        resource,
        lambda r: any("*" in (r.get(k) or []) for k in ("apiGroups", "resources", "verbs", "nonResourceURLs")),
        "no wildcards",
        "wildcards in",
    )


@rule(
    id="kubernetes.rbac.pod_creation_minimized",
    title="Role does not grant pod creation",
    severity="medium",
    category="identity",
    resource_type=ROLE,
    rationale="Whoever can create pods can run any image with any service account of the namespace, "
    "and on lax clusters, privileged pods that take over nodes.",
    remediation="Grant create on workloads through controllers (Deployments) to CI identities only; "
    "remove create on pods.",
)
def pod_creation_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(resource, lambda r: _grants(r, {"pods"}, {"create"}), "no pod creation", "grants pod creation")


@rule(
    id="kubernetes.rbac.escalation_verbs_minimized",
    title="Role does not grant bind, escalate or impersonate",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="bind and escalate let a subject grant itself roles it does not hold; impersonate lets it act "
    "as any user or group.",
    remediation="Remove the bind, escalate and impersonate verbs (and '*' verbs) from the role.",
)
def escalation_verbs_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    def matches(r: dict[str, Any]) -> bool:
        verbs = set(r.get("verbs") or [])
        if verbs & {"bind", "escalate", "impersonate"}:
            return True
        return "*" in verbs and bool(
            set(r.get("resources") or []) & {"*", "roles", "clusterroles", "users", "groups", "serviceaccounts"}
        )

    return _role_check(resource, matches, "no escalation verbs", "grants escalation verbs")
