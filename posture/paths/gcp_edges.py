"""What a Google Cloud service account may do, from the stored IAM policies: the project's (owner, editor, IAM
admin: the project is theirs; storage roles: every bucket of it; secret and key roles: every key of it) and each
bucket's own. Conditional bindings count (the path is a risk to look at)."""

from __future__ import annotations

from typing import Any

from collectors.gcp.provider import PROJECT_KEY
from posture.paths.items import MAX_LISTED_TARGETS, Graph, Item, many_targets, target_node

SERVICE_ACCOUNT = "gcp.iam.service_account"
PROJECT = "gcp.resourcemanager.project"
BUCKET = "gcp.storage.bucket"
KMS_KEY = "gcp.kms.crypto_key"
ADMIN_ROLES = frozenset(
    {"roles/owner", "roles/editor", "roles/iam.securityAdmin", "roles/resourcemanager.projectIamAdmin"}
)
STORAGE_ROLES = frozenset(
    {
        "roles/storage.admin",
        "roles/storage.objectAdmin",
        "roles/storage.objectViewer",
        "roles/storage.objectCreator",
        "roles/storage.objectUser",
        "roles/storage.legacyBucketOwner",
        "roles/storage.legacyObjectReader",
    }
)
KEY_ROLES = frozenset({"roles/cloudkms.cryptoKeyDecrypter", "roles/cloudkms.cryptoKeyEncrypterDecrypter"})


class GcpIdentities:
    """Service accounts by email, and the projects, buckets and keys their roles reach (indexed by member once)."""

    def __init__(self, items: list[Item]) -> None:
        self.accounts = {i.name.lower(): i for i in items if i.type == SERVICE_ACCOUNT}
        self.in_project: dict[str, dict[str, list[Item]]] = {}
        self.project_roles: dict[str, list[tuple[Item, str]]] = {}  # member -> (project, role)
        self.bucket_roles: dict[str, list[tuple[Item, str]]] = {}  # member -> (bucket, role)
        for i in items:
            if i.type in (BUCKET, KMS_KEY):
                project = str(i.config.get(PROJECT_KEY) or "")
                self.in_project.setdefault(project, {}).setdefault(i.type, []).append(i)
            if i.type in (PROJECT, BUCKET):
                index = self.project_roles if i.type == PROJECT else self.bucket_roles
                for member, role in members_and_roles(i.config.get("iamPolicy")):
                    index.setdefault(member, []).append((i, role))

    def link_targets(self, graph: Graph, account: Item, key: str) -> None:
        member = f"serviceAccount:{account.name}"
        for project, role in self.project_roles.get(member, []):
            project_id = str(project.config.get(PROJECT_KEY) or project.config.get("projectId") or "")
            contents = self.in_project.get(project_id, {})
            if role in ADMIN_ROLES:
                target = target_node(graph, project, "admin", f"Project admin: {project_id}")
                graph.link(key, target, "may administer", f"{role} on project {project_id}")
            reached = contents.get(BUCKET, []) if role in STORAGE_ROLES else []
            if len(reached) > MAX_LISTED_TARGETS:
                target = many_targets(graph, f"gcp-buckets:{project_id}", "data", f"{len(reached)} buckets", project)
                graph.nodes[target].weight = len(reached)
                graph.link(key, target, "may read/write", f"{role} on project {project_id}")
                reached = []
            for bucket in reached:
                target = target_node(graph, bucket, "data", f"Bucket {bucket.name}")
                graph.link(key, target, "may read/write", f"{role} on project {project_id}")
            for crypto_key in contents.get(KMS_KEY, []) if role in KEY_ROLES else []:
                target = target_node(graph, crypto_key, "secrets", f"KMS key {crypto_key.name}")
                graph.link(key, target, "may decrypt", f"{role} on project {project_id}")
        for bucket, role in self.bucket_roles.get(member, []):
            if role in STORAGE_ROLES:
                target = target_node(graph, bucket, "data", f"Bucket {bucket.name}")
                graph.link(key, target, "may read/write", f"{role} on the bucket")


def members_and_roles(policy: Any) -> list[tuple[str, str]]:
    """Every (member, role) an IAM policy binds."""
    bindings = policy.get("bindings") if isinstance(policy, dict) else None
    return [(str(m), str(b.get("role"))) for b in bindings or [] if isinstance(b, dict) for m in b.get("members") or []]
