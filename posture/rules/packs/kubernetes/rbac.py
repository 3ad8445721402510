"""RBAC: who holds cluster-admin's power, secrets, wildcards, pod creation and escalation verbs.

The API server's own default roles and bindings are not the operator's choice; the rules skip them. A
default is known by its name and content (:mod:`rbac_defaults`), never by the bootstrapping label, which
anyone who can write a role can set.
"""

from __future__ import annotations

from typing import Any

from collectors.records import ResourceRecord
from posture.rules.context import RuleContext
from posture.rules.packs.kubernetes.context_index import by_namespace_and_name
from posture.rules.packs.kubernetes.rbac_defaults import all_powerful, default_binding, default_role
from posture.rules.registry import rule
from posture.rules.verdicts import Evidence, Verdict, check, failed, passed

ROLE = "kubernetes.rbac.role"
BINDING = "kubernetes.rbac.binding"
ANONYMOUS = {"system:anonymous", "system:unauthenticated"}


def _name(resource: ResourceRecord) -> str:
    return str((resource.config.get("metadata") or {}).get("name") or resource.name)


def _default(resource: ResourceRecord) -> bool:
    """Whether the role or binding is the API server's default (by name and content)."""
    if resource.type == ROLE:
        return default_role(resource.config, _name(resource))
    return default_binding(resource.config, _name(resource))


def _rules(resource: ResourceRecord) -> list[tuple[int, dict[str, Any]]]:
    return [(i, r) for i, r in enumerate(resource.config.get("rules") or []) if isinstance(r, dict)]


def _resource_matches(granted: str, wanted: str) -> bool:
    """RBAC's resource matching: ``*`` is every resource and subresource, ``nodes/*`` every subresource of
    nodes, ``*/proxy`` the proxy subresource of every resource."""
    if granted in ("*", wanted):
        return True
    base, _, sub = wanted.partition("/")
    return bool(sub) and granted in (f"{base}/*", f"*/{sub}")


def _grants(policy: dict[str, Any], resources: set[str], verbs: set[str], group: str = "") -> bool:
    """Whether one policy rule grants any of ``verbs`` on any of ``resources`` in API group ``group``."""
    groups = set(policy.get("apiGroups") or [])
    if not (groups & {group, "*"}):
        return False
    granted_verbs = set(policy.get("verbs") or [])
    if not granted_verbs & (verbs | {"*"}):
        return False
    return any(_resource_matches(str(g), w) for g in policy.get("resources") or [] for w in resources)


def _role_check(resource: ResourceRecord, matches: Any, ok: str, bad: str) -> Verdict | None:
    if _default(resource):
        return None
    offending = [Evidence(f"rules.{i}", r) for i, r in _rules(resource) if matches(r)]
    kind = Evidence("kind", resource.config.get("kind"))
    return check(not offending, ok, f"{bad}: {', '.join(e.path for e in offending)}", kind, *offending)


def role_of(binding: ResourceRecord, ctx: RuleContext) -> ResourceRecord | None:
    """The Role or ClusterRole a binding refers to, where the scan read it."""
    ref = binding.config.get("roleRef") or {}
    namespace = str((binding.config.get("metadata") or {}).get("namespace") or "")
    key = ("" if ref.get("kind") == "ClusterRole" else namespace, str(ref.get("name", "")))
    role = by_namespace_and_name(ctx, ROLE).get(key)
    return role if role is not None and role.config.get("kind") == ref.get("kind") else None


@rule(
    id="kubernetes.rbac.cluster_admin_bound_narrowly",
    title="cluster-admin power is bound only to system:masters",
    severity="high",
    category="identity",
    resource_type=BINDING,
    rationale="cluster-admin is every permission on every object; each extra subject bound to it, or to any "
    "role that grants every verb on every resource, is a full-cluster compromise waiting for one leaked "
    "credential. The power counts, not the role's name.",
    remediation="Bind a narrower ClusterRole (or namespaced Roles) to the subject and delete the binding.",
)
def cluster_admin_bound_narrowly(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    ref = resource.config.get("roleRef") or {}
    role = role_of(resource, ctx)
    if role is not None:
        powerful = [(i, r) for i, r in _rules(role) if all_powerful(r)]
    elif ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin":
        powerful = [(0, {"unread": "cluster-admin, not read by the scan"})]  # the name is all there is to go on
    else:
        powerful = []
    if not powerful:
        return None
    others = [
        s
        for s in resource.config.get("subjects") or []
        if isinstance(s, dict) and not (s.get("kind") == "Group" and s.get("name") == "system:masters")
    ]
    evidence = [Evidence("roleRef.name", ref.get("name")), Evidence("subjects", resource.config.get("subjects"))]
    if role is not None:
        evidence += [Evidence(f"role[{role.uid}].rules.{i}", r) for i, r in powerful]
    return check(
        not others,
        f"{ref.get('name')} (every verb on every resource) is bound to system:masters only",
        f"{ref.get('name')} grants every verb on every resource and is bound to "
        + ", ".join(str(s.get("kind")) + " " + str(s.get("name")) for s in others),
        *evidence,
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
    if _default(resource):
        return None
    subjects = resource.config.get("subjects") or []
    anonymous = [s for s in subjects if isinstance(s, dict) and s.get("name") in ANONYMOUS]
    role = role_of(resource, ctx)
    if anonymous and role is not None and _public_cluster_info_only(role):
        return check(
            True,
            "anonymous users may read the public cluster-info ConfigMap only (the kubeadm join discovery)",
            "",
            Evidence("subjects", subjects),
            *[Evidence(f"role[{role.uid}].rules.{i}", r) for i, r in _rules(role)],
        )
    return check(
        not anonymous,
        "no anonymous subjects",
        f"{resource.config.get('roleRef', {}).get('name')} is granted to {', '.join(s['name'] for s in anonymous)}",
        Evidence("subjects", subjects),
        Evidence("roleRef.name", (resource.config.get("roleRef") or {}).get("name")),
    )


def _public_cluster_info_only(role: ResourceRecord) -> bool:
    """A Role in kube-public granting get on the cluster-info ConfigMap and nothing else: what kubeadm grants
    anonymous users so that nodes can discover the cluster before they join (judged by content, not name)."""
    meta = role.config.get("metadata") or {}
    rules = [r for _, r in _rules(role)]
    return (
        role.config.get("kind") == "Role"
        and meta.get("namespace") == "kube-public"
        and bool(rules)
        and all(
            r.get("apiGroups") == [""]
            and r.get("resources") == ["configmaps"]
            and r.get("resourceNames") == ["cluster-info"]
            and r.get("verbs") == ["get"]
            and not r.get("nonResourceURLs")
            for r in rules
        )
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
        lambda r: (
            any("*" in (r.get(k) or []) for k in ("apiGroups", "verbs", "nonResourceURLs"))
            or any("*" in str(x).split("/") for x in r.get("resources") or [])
        ),  # "*", "nodes/*", "*/scale"
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


@rule(
    id="kubernetes.rbac.pv_creation_minimized",
    title="Role does not grant PersistentVolume creation",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="A PersistentVolume can point at any path of a node (hostPath); whoever creates one and mounts "
    "it in a pod reads and writes the node's files.",
    remediation="Remove create on persistentvolumes; let workloads request storage through "
    "PersistentVolumeClaims and a StorageClass.",
)
def pv_creation_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(
        resource,
        lambda r: _grants(r, {"persistentvolumes"}, {"create"}),
        "no PersistentVolume creation",
        "grants PersistentVolume creation",
    )


@rule(
    id="kubernetes.rbac.node_proxy_minimized",
    title="Role does not grant access to the nodes/proxy subresource",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="nodes/proxy reaches the kubelet API of every node: running commands in any pod on it, "
    "bypassing the API server's audit and admission.",
    remediation="Remove nodes/proxy (and nodes/*, */proxy) from the role; monitoring agents need "
    "nodes/metrics or nodes/stats instead.",
)
def node_proxy_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    every_verb = {"get", "list", "watch", "create", "update", "patch", "delete"}
    return _role_check(
        resource,
        lambda r: _grants(r, {"nodes/proxy"}, every_verb),
        "no access to nodes/proxy",
        "grants access to nodes/proxy",
    )


@rule(
    id="kubernetes.rbac.csr_approval_minimized",
    title="Role does not grant approval of certificate signing requests",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="Whoever approves certificate signing requests can issue a client certificate for any user "
    "or group the signer accepts, system:masters included on some signers.",
    remediation="Remove update and patch on certificatesigningrequests/approval; leave approval to the "
    "controllers that approve node certificates.",
)
def csr_approval_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(
        resource,
        lambda r: _grants(r, {"certificatesigningrequests/approval"}, {"update", "patch"}, "certificates.k8s.io"),
        "no approval of certificate signing requests",
        "grants approval of certificate signing requests",
    )


WEBHOOKS = {"validatingwebhookconfigurations", "mutatingwebhookconfigurations"}


@rule(
    id="kubernetes.rbac.webhook_config_minimized",
    title="Role does not grant changes to admission webhook configurations",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="An admission webhook sees (and a mutating one rewrites) every object it registers for, "
    "Secrets included; whoever can change the configurations can read or alter what the cluster admits, "
    "or switch policy webhooks off.",
    remediation="Remove create, update, patch and delete on validatingwebhookconfigurations and "
    "mutatingwebhookconfigurations; leave them to the controllers that own them.",
)
def webhook_config_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    writes = {"create", "update", "patch", "delete", "deletecollection"}
    return _role_check(
        resource,
        lambda r: _grants(r, WEBHOOKS, writes, "admissionregistration.k8s.io"),
        "no changes to webhook configurations",
        "grants changes to webhook configurations",
    )


@rule(
    id="kubernetes.rbac.token_creation_minimized",
    title="Role does not grant service account token creation",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="create on serviceaccounts/token mints a token for any service account in scope: its "
    "permissions, without running a pod.",
    remediation="Remove create on serviceaccounts/token; pods get their own tokens by projection.",
)
def token_creation_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(
        resource,
        lambda r: _grants(r, {"serviceaccounts/token"}, {"create"}),
        "no service account token creation",
        "grants service account token creation",
    )


@rule(
    id="kubernetes.rbac.pod_exec_minimized",
    title="Role does not grant exec, attach or port-forward into pods",
    severity="high",
    category="identity",
    resource_type=ROLE,
    rationale="exec and attach run commands in a running container (its secrets, its service account "
    "token); port-forward reaches its ports past network policies. Clients open these streams with create "
    "or, over websockets, get.",
    remediation="Remove create and get on pods/exec, pods/attach and pods/portforward; grant them to "
    "break-glass roles only.",
)
def pod_exec_minimized(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    return _role_check(
        resource,
        lambda r: _grants(r, {"pods/exec", "pods/attach", "pods/portforward"}, {"create", "get"}),
        "no exec, attach or port-forward",
        "grants exec, attach or port-forward",
    )


AUTHENTICATED = "system:authenticated"
# the API server's own bindings to system:authenticated: each binds the ClusterRole of its name
EVERYONE_DEFAULTS = {"system:basic-user", "system:discovery", "system:public-info-viewer"}


def _group_subjects(resource: ResourceRecord, group: str) -> list[dict[str, Any]]:
    return [
        s
        for s in resource.config.get("subjects") or []
        if isinstance(s, dict) and s.get("kind") == "Group" and s.get("name") == group
    ]


def _default_for_everyone(binding: ResourceRecord) -> bool:
    """One of the API server's bindings to system:authenticated (by name and role; other subjects aside)."""
    ref = binding.config.get("roleRef") or {}
    name = _name(binding)
    return (
        binding.config.get("kind") == "ClusterRoleBinding"
        and name in EVERYONE_DEFAULTS
        and ref.get("kind") == "ClusterRole"
        and ref.get("name") == name
    )


@rule(
    id="kubernetes.rbac.no_authenticated_bindings",
    title="Nothing beyond the defaults is bound to every authenticated user",
    severity="high",
    category="identity",
    resource_type=BINDING,
    rationale="system:authenticated is every identity the cluster accepts (on GKE, any Google account "
    "that signs in, whatever its organization). Only discovery, self-review "
    "and the public health endpoints (the API server's defaults, with their default content) belong to it.",
    remediation="Replace the system:authenticated subject with named groups or service accounts, and "
    "restore the default roles bound to it to their default rules.",
)
def no_authenticated_bindings(resource: ResourceRecord, ctx: RuleContext) -> Verdict | None:
    ref = resource.config.get("roleRef") or {}
    evidence = [Evidence("subjects", resource.config.get("subjects")), Evidence("roleRef.name", ref.get("name"))]
    if not _group_subjects(resource, AUTHENTICATED):
        return passed("does not name system:authenticated", *evidence)
    role = role_of(resource, ctx)
    if not _default_for_everyone(resource):
        return failed(f"{ref.get('kind')} {ref.get('name')} is granted to every authenticated user", *evidence)
    if role is not None and not default_role(role.config, _name(role)):
        return failed(
            f"the default binding gives every authenticated user {ref.get('name')}, whose rules are no longer "
            "the default's",
            *evidence,
            *[Evidence(f"role[{role.uid}].rules.{i}", r) for i, r in _rules(role)],
        )
    return passed(f"the API server's default binding of {ref.get('name')} (discovery and self-review)", *evidence)
