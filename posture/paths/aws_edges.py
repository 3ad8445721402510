"""What an IAM role may do, from its stored policies: account admin, S3 buckets' objects, KMS keys.

A role's statements are its inline policies (``RolePolicyList``) and the default versions of the managed
policies attached to it (customer-managed ``aws.iam.policy`` records; AWS-managed ones from
``aws.iam.aws_managed_policy`` records when collected). An action on a resource is allowed when an Allow
statement matches both (``Action``/``NotAction``, ``Resource``/``NotResource``, IAM wildcards) and no Deny
does. Conditions are not evaluated: a conditional Allow counts (the path is a risk to look at), a conditional
Deny does not (it may not apply).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from posture.paths.items import Graph, Item, target_node

ROLE = "aws.iam.role"
POLICY = "aws.iam.policy"
AWS_MANAGED = "aws.iam.aws_managed_policy"
BUCKET = "aws.s3.bucket"
KMS_KEY = "aws.kms.key"
ACCOUNT = "aws.iam.account"
ADMIN_ACTIONS = ("*", "iam:*")
OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    found = document.get("Statement")
    found = [found] if isinstance(found, dict) else found
    return [s for s in found or [] if isinstance(s, dict)]


def _matches(patterns: list[str], value: str) -> bool:
    return any(fnmatchcase(value.lower(), p.lower()) for p in patterns)


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    if "Action" in statement:
        action_ok = _matches(_list(statement["Action"]), action)
    else:
        action_ok = "NotAction" in statement and not _matches(_list(statement["NotAction"]), action)
    if "Resource" in statement:
        resource_ok = _matches(_list(statement["Resource"]), resource)
    else:
        resource_ok = "NotResource" in statement and not _matches(_list(statement["NotResource"]), resource)
    return action_ok and resource_ok


def allowed(stmts: list[dict[str, Any]], action: str, resource: str) -> bool:
    """Whether the statements allow ``action`` on ``resource`` (an unconditional Deny wins)."""
    allow = any(s.get("Effect") == "Allow" and _applies(s, action, resource) for s in stmts)
    deny = any(s.get("Effect") == "Deny" and not s.get("Condition") and _applies(s, action, resource) for s in stmts)
    return allow and not deny


def is_admin(stmts: list[dict[str, Any]]) -> bool:
    """Every action on every resource, or all of IAM (which grants the rest)."""
    for s in stmts:
        if s.get("Effect") != "Allow" or "*" not in _list(s.get("Resource")):
            continue
        if any(a in ADMIN_ACTIONS for a in _list(s.get("Action"))) and allowed(stmts, "iam:PutRolePolicy", "*"):
            return True
    return False


def role_statements(role: Item, policies: dict[str, Item]) -> list[dict[str, Any]]:
    """The role's inline statements and those of its attached managed policies' default versions."""
    found: list[dict[str, Any]] = []
    for inline in role.config.get("RolePolicyList") or []:
        if isinstance(inline, dict):
            found += statements(inline.get("PolicyDocument"))
    for attached in role.config.get("AttachedManagedPolicies") or []:
        policy = policies.get(str((attached or {}).get("PolicyArn")))
        if policy is not None:
            found += statements((policy.config.get("DefaultVersion") or {}).get("Document"))
    return found


class AwsIdentities:
    """The AWS side of every account: roles by ARN, and what each may reach (resolved once per role)."""

    def __init__(self, items: list[Item]) -> None:
        self.roles = {i.uid: i for i in items if i.type == ROLE}
        self.policies = {i.uid: i for i in items if i.type in (POLICY, AWS_MANAGED)}
        self.by_account: dict[int, dict[str, list[Item]]] = {}
        for i in items:
            if i.type in (BUCKET, KMS_KEY, ACCOUNT):
                self.by_account.setdefault(i.account, {}).setdefault(i.type, []).append(i)

    def link_targets(self, graph: Graph, role: Item, key: str) -> None:
        """Edges from the role's node ``key`` to what its policies let it reach."""
        stmts = role_statements(role, self.policies)
        mine = self.by_account.get(role.account, {})
        if is_admin(stmts):
            for account in mine.get(ACCOUNT, []):
                target = target_node(graph, account, "admin", f"AWS account admin: {account.name}")
                graph.link(key, target, "may administer", "an Allow of * (or iam:*) on *")
        for bucket in mine.get(BUCKET, []):
            actions = [a for a in OBJECT_ACTIONS if allowed(stmts, a, f"{bucket.uid}/*")]
            if actions:
                target = target_node(graph, bucket, "data", f"S3 bucket {bucket.name}")
                graph.link(key, target, "may read/write", ", ".join(actions))
        for kms_key in mine.get(KMS_KEY, []):
            if allowed(stmts, "kms:Decrypt", kms_key.uid):
                target = target_node(graph, kms_key, "secrets", f"KMS key {kms_key.name}")
                graph.link(key, target, "may decrypt", "kms:Decrypt")
