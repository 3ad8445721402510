"""Which RBAC objects are the API server's own defaults: by name AND content, never by a label.

The label ``kubernetes.io/bootstrapping: rbac-defaults`` is set by the API server on what it creates, but
anyone who can write a ClusterRole can set it too; a wildcard role bound to ``system:unauthenticated`` must
not hide behind it. An object is a default here only when its name is a default's and its content is what
that default holds:

- ``cluster-admin``, ``system:public-info-viewer``, ``system:discovery``, ``system:basic-user``: the rules
  they are created with (a role granting more is not the default);
- ``admin``, ``edit``, ``view``: aggregated roles, whose content is that of the roles they aggregate (each
  judged on its own): the default aggregation selector, and no rules of their own outside it;
- the other ``system:`` roles (the listed controllers, node, scheduler ...): a default name, and none of the
  power no default but cluster-admin holds (every verb on every resource, every non-resource URL);
- default bindings: a default's name, bound to the role of the same name, to the default subjects (the
  components' own users, groups and kube-system service accounts; ``system:unauthenticated`` only where the
  API server itself binds it: public-info-viewer).
"""

from __future__ import annotations

from typing import Any

RBAC_GROUP = "rbac.authorization.k8s.io"
ADMIN_RULES = [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]
PUBLIC_URLS = ["/healthz", "/livez", "/readyz", "/version", "/version/"]
DISCOVERY_URLS = [*PUBLIC_URLS, "/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*"]
# roles whose content is known exactly: the rules they may hold (a default of an older version holds fewer)
EXACT_ROLES: dict[str, list[dict[str, Any]]] = {
    "cluster-admin": ADMIN_RULES,
    "system:public-info-viewer": [{"nonResourceURLs": PUBLIC_URLS, "verbs": ["get"]}],
    "system:discovery": [{"nonResourceURLs": DISCOVERY_URLS, "verbs": ["get"]}],
    "system:basic-user": [
        {
            "apiGroups": ["authorization.k8s.io"],
            "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            "verbs": ["create"],
        },
        {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]},
    ],
}
AGGREGATED_ROLES = {"admin", "edit", "view"}
SYSTEM_ROLES = {
    "system:aggregate-to-admin",
    "system:aggregate-to-edit",
    "system:aggregate-to-view",
    "system:auth-delegator",
    "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
    "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
    "system:certificates.k8s.io:kube-apiserver-client-approver",
    "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver",
    "system:certificates.k8s.io:kubelet-serving-approver",
    "system:certificates.k8s.io:legacy-unknown-approver",
    "system:heapster",
    "system:kube-aggregator",
    "system:kube-controller-manager",
    "system:kube-dns",
    "system:kube-scheduler",
    "system:kubelet-api-admin",
    "system:monitoring",
    "system:node",
    "system:node-bootstrapper",
    "system:node-problem-detector",
    "system:node-proxier",
    "system:persistent-volume-provisioner",
    "system:service-account-issuer-discovery",
    "system:volume-scheduler",
}
CONTROLLER_PREFIX = "system:controller:"
# the controllers kube-controller-manager runs with a role (and a kube-system service account) of their own
CONTROLLERS = {
    "attachdetach-controller",
    "certificate-controller",
    "clusterrole-aggregation-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "deployment-controller",
    "disruption-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "endpointslicemirroring-controller",
    "ephemeral-volume-controller",
    "expand-controller",
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "job-controller",
    "legacy-service-account-token-cleaner",
    "namespace-controller",
    "node-controller",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "pv-protection-controller",
    "pvc-protection-controller",
    "replicaset-controller",
    "replication-controller",
    "resource-claim-controller",
    "resourcequota-controller",
    "root-ca-cert-publisher",
    "route-controller",
    "selinux-warning-controller",
    "service-account-controller",
    "service-cidrs-controller",
    "service-controller",
    "statefulset-controller",
    "storageversion-garbage-collector",
    "ttl-after-finished-controller",
    "ttl-controller",
    "validatingadmissionpolicy-status-controller",
}
SYSTEM_ROLES |= {CONTROLLER_PREFIX + c for c in CONTROLLERS}
# default bindings whose subjects are known: name -> the subjects it may hold (kind, name)
EXACT_BINDINGS: dict[str, set[tuple[str, str]]] = {
    "cluster-admin": {("Group", "system:masters")},
    "system:public-info-viewer": {("Group", "system:authenticated"), ("Group", "system:unauthenticated")},
    "system:discovery": {("Group", "system:authenticated")},
    "system:basic-user": {("Group", "system:authenticated")},
    "system:service-account-issuer-discovery": {("Group", "system:serviceaccounts")},
    "system:monitoring": {("Group", "system:monitoring")},
}
BROAD_GROUPS = {"system:authenticated", "system:unauthenticated", "system:anonymous", "system:serviceaccounts"}


def _atoms(rules: Any) -> set[tuple[str, str, str, str]]:
    """Every (apiGroup, resource, resourceName-or-empty, verb) and ("url", path, "", verb) a list of rules grants."""
    found: set[tuple[str, str, str, str]] = set()
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        verbs = [str(v) for v in rule.get("verbs") or []]
        for url in rule.get("nonResourceURLs") or []:
            found |= {("url", str(url), "", v) for v in verbs}
        names = [str(n) for n in rule.get("resourceNames") or []] or [""]
        for group in rule.get("apiGroups") or []:
            for resource in rule.get("resources") or []:
                found |= {(str(group), str(resource), n, v) for n in names for v in verbs}
    return found


def all_powerful(rule: dict[str, Any]) -> bool:
    """Every verb on every resource of every API group (cluster-admin's power), or on every non-resource URL."""
    verbs = set(rule.get("verbs") or [])
    every_verb = "*" in verbs or {"get", "list", "watch", "create", "update", "patch", "delete"} <= verbs
    on_everything = "*" in (rule.get("apiGroups") or []) and "*" in (rule.get("resources") or [])
    return every_verb and (on_everything or "*" in (rule.get("nonResourceURLs") or []))


def default_role(config: dict[str, Any], name: str) -> bool:
    """Whether a ClusterRole is the API server's default of its name, with the default's content."""
    if config.get("kind") != "ClusterRole":
        return False  # the defaults are ClusterRoles (the few namespaced ones live in kube-system, judged as any)
    rules = config.get("rules") or []
    if name in EXACT_ROLES:
        return _atoms(rules) <= _atoms(EXACT_ROLES[name]) and not config.get("aggregationRule")
    if name in AGGREGATED_ROLES:
        selectors = (config.get("aggregationRule") or {}).get("clusterRoleSelectors")
        return selectors == [{"matchLabels": {f"{RBAC_GROUP}/aggregate-to-{name}": "true"}}]
    if name in SYSTEM_ROLES:
        return not any(isinstance(r, dict) and all_powerful(r) for r in rules) and not config.get("aggregationRule")
    return False


def default_binding(config: dict[str, Any], name: str) -> bool:
    """Whether a ClusterRoleBinding is a default: its name, its role of the same name, the default subjects."""
    if config.get("kind") != "ClusterRoleBinding":
        return False
    ref = config.get("roleRef") or {}
    if ref.get("kind") != "ClusterRole" or ref.get("name") != name:
        return False
    subjects = [s for s in config.get("subjects") or [] if isinstance(s, dict)]
    held = {(str(s.get("kind")), str(s.get("name"))) for s in subjects}
    if name in EXACT_BINDINGS:
        return held <= EXACT_BINDINGS[name]
    if name.startswith(CONTROLLER_PREFIX) and name.removeprefix(CONTROLLER_PREFIX) in CONTROLLERS:
        account = name.removeprefix(CONTROLLER_PREFIX)
        return all(_kube_system_account(s, account) for s in subjects)
    if name in SYSTEM_ROLES:
        return all(_component(s) for s in subjects)
    return False


def _kube_system_account(subject: dict[str, Any], name: str | None = None) -> bool:
    return (
        subject.get("kind") == "ServiceAccount"
        and subject.get("namespace") == "kube-system"
        and (name is None or subject.get("name") == name)
    )


def _component(subject: dict[str, Any]) -> bool:
    """A control-plane component's own identity: a system: user or group (not a broad one), a kube-system SA."""
    if _kube_system_account(subject):
        return True
    name = str(subject.get("name", ""))
    return subject.get("kind") in ("User", "Group") and name.startswith("system:") and name not in BROAD_GROUPS
