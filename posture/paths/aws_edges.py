"""What an IAM role may do, from its stored policies: account admin, S3 buckets' objects, KMS keys.

A role's statements are its inline policies (``RolePolicyList``) and the default versions of the managed
policies attached to it (customer-managed ``aws.iam.policy`` records; AWS-managed ones from
``aws.iam.aws_managed_policy`` records when collected). An action on a resource is allowed when an Allow
statement matches both (``Action``/``NotAction``, ``Resource``/``NotResource``, IAM wildcards) and no Deny
does. Conditions are not evaluated: a conditional Allow counts (the path is a risk to look at), a conditional
Deny does not (it may not apply).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from functools import lru_cache
from typing import Any

from posture.paths.items import MAX_LISTED_TARGETS, Graph, Item, many_targets, target_node

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


@lru_cache(maxsize=65536)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """IAM wildcards (``*``, ``?``; nothing else is special), any of the patterns, case-insensitive."""
    parts = [re.escape(p).replace(r"\*", ".*").replace(r"\?", ".") for p in patterns]
    return re.compile("(?:" + "|".join(parts) + r")\Z", re.IGNORECASE | re.DOTALL) if parts else re.compile(r"(?!)")


def _matches(patterns: list[str], value: str) -> bool:
    return _compiled(tuple(patterns)).match(value) is not None


def _applies(statement: dict[str, Any], action: str, resource: str) -> bool:
    action_ok = _applies_action(statement, action)
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


class Named:
    """Resources of one kind by uid, with their names as a policy writes them (``uid + suffix``), sorted and
    lowercased for prefix lookups: a pattern only scans the resources sharing its text before the first wildcard."""

    def __init__(self, suffix: str) -> None:
        self.suffix = suffix
        self.by_uid: dict[str, Item] = {}
        self._sorted: list[tuple[str, str]] | None = None

    def add(self, item: Item) -> None:
        self.by_uid[item.uid] = item
        self._sorted = None

    def matching(self, pattern: str) -> list[Item]:
        if not any(c in pattern for c in "*?"):
            uid = pattern[: len(pattern) - len(self.suffix)] if pattern.endswith(self.suffix) else None
            return [self.by_uid[uid]] if uid in self.by_uid else []
        if self._sorted is None:
            self._sorted = sorted(((uid + self.suffix).lower(), uid) for uid in self.by_uid)
        prefix = re.split(r"[*?]", pattern, maxsplit=1)[0].lower()
        match = _compiled((pattern,)).match
        found = []
        for name, uid in self._sorted[bisect_left(self._sorted, (prefix, "")) :]:
            if not name.startswith(prefix):
                break
            if match(name):
                found.append(self.by_uid[uid])
        return found


def candidates(stmts: list[dict[str, Any]], actions: tuple[str, ...], items: Named) -> list[Item]:
    """The resources an Allow of one of ``actions`` may name; the caller checks each with :func:`allowed` (Deny
    included). A plain ARN is looked up, a wildcard scans only the names sharing its prefix."""
    found: dict[str, Item] = {}
    for s in stmts:
        if s.get("Effect") != "Allow" or not any(_applies_action(s, a) for a in actions):
            continue
        if "Resource" not in s:
            return list(items.by_uid.values())  # NotResource: anything but some
        for pattern in _list(s["Resource"]):
            found.update((i.uid, i) for i in items.matching(pattern))
    return list(found.values())


def _applies_action(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return _matches(_list(statement["Action"]), action)
    return "NotAction" in statement and not _matches(_list(statement["NotAction"]), action)


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
        self.profiles = {  # instance profile ARN -> its role (a profile holds at most one)
            str(p.get("Arn")): role
            for role in self.roles.values()
            for p in role.config.get("InstanceProfileList") or []
            if isinstance(p, dict) and p.get("Arn")
        }
        self.policies = {i.uid: i for i in items if i.type in (POLICY, AWS_MANAGED)}
        self.by_account: dict[int, dict[str, Named]] = {}
        suffixes = {BUCKET: "/*", KMS_KEY: "", ACCOUNT: ""}
        for i in items:
            if i.type in suffixes:
                self.by_account.setdefault(i.account, {}).setdefault(i.type, Named(suffixes[i.type])).add(i)
        self._memo: dict[tuple[int, str], list[tuple[Item, str]]] = {}

    def _buckets(self, account: int, stmts: list[dict[str, Any]]) -> list[tuple[Item, str]]:
        """The buckets (with the object actions) the statements reach; roles sharing a policy share the answer."""
        memo_key = (account, json.dumps(stmts, sort_keys=True, default=str))
        if memo_key not in self._memo:
            reached = []
            for bucket in candidates(stmts, OBJECT_ACTIONS, self.by_account.get(account, {}).get(BUCKET, Named("/*"))):
                actions = [a for a in OBJECT_ACTIONS if allowed(stmts, a, f"{bucket.uid}/*")]
                if actions:
                    reached.append((bucket, ", ".join(actions)))
            self._memo[memo_key] = reached
        return self._memo[memo_key]

    def link_targets(self, graph: Graph, role: Item, key: str) -> None:
        """Edges from the role's node ``key`` to what its policies let it reach."""
        stmts = role_statements(role, self.policies)
        mine = self.by_account.get(role.account, {})
        if is_admin(stmts):
            for account in mine.get(ACCOUNT, Named("")).by_uid.values():
                target = target_node(graph, account, "admin", f"AWS account admin: {account.name}")
                graph.link(key, target, "may administer", "an Allow of * (or iam:*) on *")
        reached = self._buckets(role.account, stmts)
        if len(reached) > MAX_LISTED_TARGETS:  # one hop for them all: a path per bucket would bury the rest
            target = many_targets(graph, f"aws-buckets:{role.uid}", "data", f"{len(reached)} S3 buckets", role)
            graph.nodes[target].weight = len(reached)
            graph.link(key, target, "may read/write", "s3 object actions on every one of them")
        else:
            for bucket, actions in reached:
                target = target_node(graph, bucket, "data", f"S3 bucket {bucket.name}")
                graph.link(key, target, "may read/write", actions)
        for kms_key in candidates(stmts, ("kms:Decrypt",), mine.get(KMS_KEY, Named(""))):
            if allowed(stmts, "kms:Decrypt", kms_key.uid):
                target = target_node(graph, kms_key, "secrets", f"KMS key {kms_key.name}")
                graph.link(key, target, "may decrypt", "kms:Decrypt")
